// How runs and their events are stored in data: a RunEvent becomes a
// RunEventRecord whose type is the event's kind ("started", "tool_call",
// ...) and whose payload is the event in the protobuf JSON mapping; a
// RunRecord becomes the Run callers see.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_CODEC_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"

namespace bastion::runs {

// The event's kind: the name of its payload field, e.g. "tool_result";
// empty when no payload is set.
std::string EventKind(const v1::RunEvent& event);

// True for the events after which a run does nothing more until someone
// acts: completed, failed, cancelled, paused.
bool EndsRun(const v1::RunEvent& event);

// The stored form of `event` (run id, seq and time are data's to set).
// INVALID_ARGUMENT when it has no payload.
absl::StatusOr<data::v1::RunEventRecord> ToRecord(const v1::RunEvent& event);

// The event a stored record holds; INTERNAL when the payload does not parse
// or does not match the record's type.
absl::StatusOr<v1::RunEvent> FromRecord(const data::v1::RunEventRecord& record);

// The input as stored (a JSON string) and back.
std::string InputJson(const std::string& input);
std::string InputOf(const std::string& input_json);

// The Run callers see of a stored record.
v1::Run ToRun(const data::v1::RunRecord& record);

// Hex SHA-256 of a tool call's arguments in canonical form (the JSON
// re-serialized with sorted keys and no blanks; text that is not JSON as
// it is): what an approval is bound to.
std::string ArgumentsSha256(const std::string& arguments_json);

// The stored form of a paused call.
data::v1::PausedToolCall ToPaused(const v1::ToolCall& call);

// The append that stores `event`, one that ends the run (EndsRun), together
// with the status, output, error or paused calls it implies, if the run
// `run_id` is still `expected`. INVALID_ARGUMENT for an event that does not
// end a run.
absl::StatusOr<data::v1::AppendRunEventsRequest> EndAppend(
    const std::string& run_id, const v1::RunEvent& event,
    common::v1::RunStatus expected);

// A finished status: completed, failed or cancelled.
bool IsFinal(common::v1::RunStatus status);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_CODEC_H_
