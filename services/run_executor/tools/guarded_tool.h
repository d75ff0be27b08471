// One registered tool as a run calls it: the ToolSpec's limits wrapped
// around the tool that does the work, so that whatever a model asks or a
// tool does, the run gets a result within the tool's time limit.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_GUARDED_TOOL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_GUARDED_TOOL_H_

#include <cstddef>
#include <memory>

#include "absl/time/time.h"
#include "bastion/runs/v1/runs.pb.h"
#include "services/run_executor/tools/in_process_runner.h"
#include "services/run_executor/tools/json_schema.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Thread-safe; shared by every run of the agents listing the spec.
//
// definition() is what the model is offered: the spec's name, its
// description (else the inner tool's) and its schema (else the inner
// tool's; else any object). Invoke never fails and never throws: it always
// returns OK, every problem being an error result whose text tells the
// model what went wrong without quoting arguments or internals:
//   arguments break the schema            "invalid arguments for tool ...:
//                                          <path>: ..." (the tool never runs)
//   run already cancelled                 "tool call cancelled"
//   no result within the timeout          "tool ... did not finish within N
//     (ToolSpec.timeout_ms, default 10 s,  ms"
//     or the invocation's earlier deadline)
//   result over max_result_bytes          "tool ... returned N bytes, more
//     (default 64 KiB)                     than its limit of M"
//   the tool threw                        "tool ... failed: the tool failed
//                                          unexpectedly"
//   any other non-OK status               "tool ... failed: <its message>"
// The inner tool sees the arguments as given (empty text as "{}") and a
// deadline of at most now + timeout. An external tool runs on the calling
// thread (bounded by its gRPC deadline); an in-process one through
// `runner` (bounded however the tool behaves).
class GuardedTool final : public Tool {
 public:
  // `spec` must have passed ValidateAgentTools; `runner` is used for
  // in-process tools (null when `external`) and must outlive this.
  static absl::StatusOr<std::unique_ptr<GuardedTool>> Create(
      const v1::ToolSpec& spec, std::shared_ptr<const Tool> inner,
      bool external, const InProcessRunner* runner);

  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override;

  const v1::ToolSpec& spec() const { return spec_; }

 private:
  GuardedTool(v1::ToolSpec spec, ToolDefinition definition, JsonSchema schema,
              std::shared_ptr<const Tool> inner, bool external,
              const InProcessRunner* runner);

  const v1::ToolSpec spec_;
  const ToolDefinition definition_;
  const JsonSchema schema_;
  const std::shared_ptr<const Tool> inner_;
  const bool external_;
  const InProcessRunner* const runner_;
  const absl::Duration timeout_;
  const size_t max_result_bytes_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_GUARDED_TOOL_H_
