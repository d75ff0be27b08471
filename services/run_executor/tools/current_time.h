// The `current_time` built-in tool: the time now, in UTC and optionally in
// an IANA time zone (Abseil's zone database reader over the system's
// zoneinfo).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_CURRENT_TIME_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_CURRENT_TIME_H_

#include "common/clock/clock.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Arguments {"timezone": "Europe/Paris"} (optional; default UTC). Result
// {"utc": "2024-05-01T12:00:00Z", "timezone": "Europe/Paris",
//  "local": "2024-05-01T14:00:00+02:00", "weekday": "Wednesday",
//  "unix": 1714564800}. A name that is not a zone (or not shaped like one:
// only A-Za-z0-9 _ + - /, no "." path parts, at most 64 characters) is an
// error result; no file outside the zoneinfo folder is ever opened.
// Thread-safe; `clock` (the time seam) must outlive the tool.
class CurrentTimeTool final : public Tool {
 public:
  explicit CurrentTimeTool(const Clock* clock);
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override;

 private:
  const Clock* const clock_;
  const ToolDefinition definition_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_CURRENT_TIME_H_
