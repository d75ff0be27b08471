#include "services/run_executor/tools/guarded_tool.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "services/run_executor/tools/tool_json.h"
#include "services/run_executor/tools/tool_spec.h"

namespace bastion::runs {

absl::StatusOr<std::unique_ptr<GuardedTool>> GuardedTool::Create(
    const v1::ToolSpec& spec, std::shared_ptr<const Tool> inner, bool external,
    const InProcessRunner* runner) {
  if (inner == nullptr || (!external && runner == nullptr)) {
    return absl::InvalidArgumentError("a guarded tool needs a tool (and a "
                                      "runner for in-process tools)");
  }
  const ToolDefinition& own = inner->definition();
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(
      spec.parameters_json_schema().empty() ? own.parameters_json_schema
                                            : spec.parameters_json_schema());
  if (!schema.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tool \"", spec.name(), "\": ", schema.status().message()));
  }
  ToolDefinition definition{
      spec.name(),
      spec.description().empty() ? own.description : spec.description(),
      schema->text()};
  return std::unique_ptr<GuardedTool>(
      new GuardedTool(spec, std::move(definition), *std::move(schema),
                      std::move(inner), external, runner));
}

GuardedTool::GuardedTool(v1::ToolSpec spec, ToolDefinition definition,
                         JsonSchema schema, std::shared_ptr<const Tool> inner,
                         bool external, const InProcessRunner* runner)
    : spec_(std::move(spec)),
      definition_(std::move(definition)),
      schema_(std::move(schema)),
      inner_(std::move(inner)),
      external_(external),
      runner_(runner),
      timeout_(ToolTimeout(spec_)),
      max_result_bytes_(MaxResultBytes(spec_)) {}

absl::StatusOr<ToolOutcome> GuardedTool::Invoke(
    const ToolInvocation& invocation) const {
  const std::string& name = spec_.name();
  absl::Status valid = schema_.Check(invocation.arguments_json);
  if (!valid.ok()) {
    return ErrorResult(absl::StrCat("invalid arguments for tool \"", name,
                                    "\": ", valid.message()));
  }
  if (invocation.cancelled && invocation.cancelled()) {
    return ErrorResult("tool call cancelled");
  }
  ToolInvocation call = invocation;
  if (absl::StripAsciiWhitespace(call.arguments_json).empty()) {
    call.arguments_json = "{}";
  }
  const absl::Time start = absl::Now();
  call.deadline = std::min(invocation.deadline, start + timeout_);

  absl::StatusOr<ToolOutcome> outcome = external_
                                            ? InvokeCatching(*inner_, call)
                                            : runner_->Run(inner_, call);
  if (!outcome.ok()) {
    Log(LogLevel::kWarning, "tool_call_failed",
        {{"tool", name},
         {"run_id", invocation.run_id},
         {"tool_call_id", invocation.tool_call_id},
         {"code", absl::StatusCodeToString(outcome.status().code())}});
    switch (outcome.status().code()) {
      case absl::StatusCode::kDeadlineExceeded:
        return ErrorResult(absl::StrCat(
            "tool \"", name, "\" did not finish within ",
            absl::ToInt64Milliseconds(call.deadline - start), " ms"));
      case absl::StatusCode::kCancelled:
        return ErrorResult("tool call cancelled");
      default:
        return ErrorResult(absl::StrCat("tool \"", name, "\" failed: ",
                                        outcome.status().message()));
    }
  }
  if (outcome->content.size() > max_result_bytes_) {
    Log(LogLevel::kWarning, "tool_result_too_large",
        {{"tool", name},
         {"run_id", invocation.run_id},
         {"bytes", absl::StrCat(outcome->content.size())}});
    return ErrorResult(absl::StrCat("tool \"", name, "\" returned ",
                                    outcome->content.size(),
                                    " bytes, more than its limit of ",
                                    max_result_bytes_));
  }
  return outcome;
}

}  // namespace bastion::runs
