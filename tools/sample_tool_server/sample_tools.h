// The sample tool server's tools: an order lookup and a service restart for
// demos, a slow and a large tool for timeout and size-cap tests, and a
// counter of the calls that reached a tool, so a test can prove a tool was
// (or was not) called.
#ifndef BASTION_TOOLS_SAMPLE_TOOL_SERVER_SAMPLE_TOOLS_H_
#define BASTION_TOOLS_SAMPLE_TOOL_SERVER_SAMPLE_TOOLS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bastion/common/v1/common.pb.h"
#include "bastion/runs/v1/runs.pb.h"

namespace bastion::sample {

// Tools (arguments -> result; every result names the user it acted for in
// "acted_for": {"tenant_id", "subject"}):
//   lookup_order     {"order_id"}        -> {"order_id", "status"}; an unknown
//                                           id is an error result
//   restart_service  {"name"}            -> {"service", "restart":
//                                           "requested"} (nothing restarts:
//                                           a sample)
//   sleep            {"ms": 0..60000}    -> {"slept_ms"}; stops early, with
//                                           CANCELLED, when the call is
//                                           cancelled
//   big_result       {"bytes": 0..8 MiB} -> that many 'x' (plain text)
//   call_count       {}                  -> {"counts": {tool: n}, "total": n}
// Every call of the first four that reaches its tool is counted (also when
// its arguments are wrong); call_count itself is not. Thread-safe.
class SampleTools {
 public:
  // Called with the counts after every counted call (e.g. to write them to
  // a file); may be empty. Called by one call at a time.
  explicit SampleTools(
      std::function<void(const std::map<std::string, int64_t>&)> on_count = {})
      : on_count_(std::move(on_count)) {}

  static std::vector<runs::v1::ToolSpec> Specs();

  // Runs `request.tool_name` for `user`. NOT_FOUND for an unknown tool; bad
  // arguments and unknown orders are error results (is_error).
  absl::StatusOr<runs::v1::ToolResult> Invoke(
      const common::v1::Principal& user, const runs::v1::InvokeToolRequest& request,
      const std::function<bool()>& cancelled);

  std::map<std::string, int64_t> Counts() const;

 private:
  void Count(const std::string& tool);

  const std::function<void(const std::map<std::string, int64_t>&)> on_count_;
  absl::Mutex report_mutex_;
  mutable absl::Mutex mutex_;
  std::map<std::string, int64_t> counts_ ABSL_GUARDED_BY(mutex_);
};

// Replaces the file at `path` (atomically) with {"counts": {tool: n},
// "total": n}; a failure is logged.
void WriteCountFile(const std::string& path,
                    const std::map<std::string, int64_t>& counts);

}  // namespace bastion::sample

#endif  // BASTION_TOOLS_SAMPLE_TOOL_SERVER_SAMPLE_TOOLS_H_
