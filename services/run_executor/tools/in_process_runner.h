// Runs in-process tool calls so that neither a hung nor a throwing tool can
// hold up or bring down the run that called it.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_IN_PROCESS_RUNNER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_IN_PROCESS_RUNNER_H_

#include <atomic>
#include <memory>

#include "absl/status/statusor.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// tool.Invoke(invocation), with any exception turned into INTERNAL (the
// exception's text is logged, never returned).
absl::StatusOr<ToolOutcome> InvokeCatching(const Tool& tool,
                                           const ToolInvocation& invocation);

// Each call runs on a thread of its own while the caller waits at most
// until the invocation's deadline (DEADLINE_EXCEEDED) or until the run is
// cancelled (CANCELLED, noticed within kCancelPollInterval). A call given
// up on finishes, or not, on its own thread without touching anything of
// the run: the tool works on its own copies of the caller and the run's
// scratch, its `cancelled` turns true, and the scratch copy is written back
// into the run only when the call finished in time. At most
// `max_in_flight` calls (abandoned ones included) run at once; past that,
// RESOURCE_EXHAUSTED, so hung tools cannot pile up threads without bound.
// Thread-safe. Tools must be shared_ptr-owned: an abandoned call keeps its
// tool alive.
class InProcessRunner {
 public:
  explicit InProcessRunner(int max_in_flight);

  absl::StatusOr<ToolOutcome> Run(std::shared_ptr<const Tool> tool,
                                  const ToolInvocation& invocation) const;

 private:
  const int max_in_flight_;
  // Shared with the calls' threads, which may outlive the runner.
  const std::shared_ptr<std::atomic<int>> in_flight_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_IN_PROCESS_RUNNER_H_
