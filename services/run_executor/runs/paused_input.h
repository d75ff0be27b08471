// What the run's owner brings to a paused call when it continues the run:
// the values of the call's user_input_fields, or the result of a call it
// ran itself (external_execution). Checked here, before the run moves on,
// so that a bad continue leaves the run paused.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_PAUSED_INPUT_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_PAUSED_INPUT_H_

#include <string>

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Largest ToolDecision.user_input_json.
inline constexpr size_t kMaxUserInputBytes = 64 * 1024;

// The paused call's stored arguments with `decision.user_input_json`
// merged in (its values replace the model's for those fields). `spec` is
// the tool's current spec, or null when the agent no longer lists it (each
// value is then only required to be JSON). INVALID_ARGUMENT when the input
// is not a JSON object within kMaxUserInputBytes; FAILED_PRECONDITION when
// it is empty, or naming a missing or extra field, a value the field's schema refuses, or
// stored arguments that are not a JSON object. Messages never quote values.
absl::StatusOr<std::string> CompleteArguments(
    const v1::ToolSpec* spec, const data::v1::PausedToolCall& paused,
    const v1::ToolDecision& decision);

// The result the owner brought for an external_execution call:
// FAILED_PRECONDITION when it is empty or larger than the tool's
// max_result_bytes (the default when `spec` is null).
absl::StatusOr<ToolOutcome> ExternalResult(
    const v1::ToolSpec* spec, const data::v1::PausedToolCall& paused,
    const v1::ToolDecision& decision);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_PAUSED_INPUT_H_
