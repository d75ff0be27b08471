// The seam between a run and the tools its model calls: built-in tools and
// external ToolService servers behind one interface.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_H_

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/run_executor/model/model.h"

namespace bastion::runs {

// The run's owner as it stands at this moment. A run's credential (its
// delegation, renewed while the run lives) can change between two calls, so
// whoever calls out for the run asks for the current one at each call.
// Implementations are thread-safe.
class RunCaller {
 public:
  virtual ~RunCaller() = default;
  virtual Caller Current() const = 0;
};

// A RunCaller that never changes: a tool's own copy of the caller at the
// start of its call (InProcessRunner), and tests.
class FixedRunCaller final : public RunCaller {
 public:
  explicit FixedRunCaller(Caller caller) : caller_(std::move(caller)) {}
  Caller Current() const override { return caller_; }

 private:
  const Caller caller_;
};

// State private to one run that its tools may read and change (each run
// builds a fresh one; never shared between runs).
using RunScratch = std::map<std::string, std::string>;

// One call of a tool, made for the run's owner.
struct ToolInvocation {
  // The run's owner, with the credential forwarded to data and to tool
  // servers (ForwardCaller), read at each call. Never a service identity
  // alone.
  const RunCaller* caller = nullptr;
  std::string run_id;
  std::string tool_call_id;
  // Already checked against the tool's JSON Schema.
  std::string arguments_json;
  // Owned by the run; only this run's tools touch it, one at a time.
  RunScratch* scratch = nullptr;
  // Polled by long tools; true means stop (CANCELLED).
  std::function<bool()> cancelled;
  // The tool's own timeout, already applied.
  absl::Time deadline = absl::InfiniteFuture();
};

// What the model is told about a call.
struct ToolOutcome {
  // The result (JSON or plain text), or why it failed.
  std::string content;
  bool is_error = false;
};

// Thread-safe: one instance serves every run of every agent that lists it.
// A failure the model should hear about (bad arguments, the tool's own
// error) is an OK status with is_error; a non-OK status means the call
// could not be made (e.g. data or the tool server unreachable) and also
// becomes an error result, with a caller-safe message.
class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolDefinition& definition() const = 0;
  virtual absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const = 0;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_H_
