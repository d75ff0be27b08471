#include "services/run_executor/runs/data_recorder.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/time/clock.h"
#include "common/log/log.h"
#include "services/run_executor/runs/run_codec.h"

namespace bastion::runs {
namespace {

// How long the end of a run (its final status, then its final event) is
// retried while data is unreachable, so that a short outage of data or its
// database does not leave a run finished without its final event.
constexpr absl::Duration kEndPatience = absl::Seconds(30);
constexpr absl::Duration kFirstRetry = absl::Milliseconds(100);
constexpr absl::Duration kLongestRetry = absl::Seconds(2);

// `call` until it answers anything but UNAVAILABLE (data unreachable: the
// request was not taken), for at most kEndPatience.
template <typename Call>
auto WhileUnavailable(const Call& call) -> decltype(call()) {
  const absl::Time deadline = absl::Now() + kEndPatience;
  absl::Duration wait = kFirstRetry;
  while (true) {
    auto result = call();
    if (result.status().code() != absl::StatusCode::kUnavailable ||
        absl::Now() + wait > deadline) {
      return result;
    }
    absl::SleepFor(wait);
    wait = std::min(wait * 2, kLongestRetry);
  }
}

}  // namespace

absl::Status DataRecorder::Record(v1::RunEvent event) {
  event.set_run_id(live_->run_id());
  if (event.has_cancelled()) {
    if (absl::Status lost = lost_authority_(); !lost.ok()) {
      event.mutable_failed()->set_message(std::string(lost.message()));
    }
  }
  if (event.has_cancelled() && event.cancelled().cancelled_by().empty()) {
    event.mutable_cancelled()->set_cancelled_by(live_->cancelled_by());
  }
  if (EndsRun(event)) {
    absl::Status finished = Finish(event);
    if (!finished.ok()) return finished;
  }
  absl::StatusOr<data::v1::RunEventRecord> record = ToRecord(event);
  if (!record.ok()) return record.status();
  data::v1::AppendRunEventsRequest request;
  request.set_run_id(live_->run_id());
  *request.add_events() = *std::move(record);
  auto append = [&] { return data_->AppendRunEvents(owner_->Current(), request); };
  absl::StatusOr<data::v1::AppendRunEventsResponse> stored =
      EndsRun(event) ? WhileUnavailable(append) : append();
  if (!stored.ok()) return stored.status();
  if (stored->events_size() != 1) {
    return absl::InternalError("data stored no event");
  }
  event.set_seq(stored->events(0).seq());
  event.set_created_at_unix(stored->events(0).created_at_unix_micros() / 1000000);
  live_->Publish(event);
  return absl::OkStatus();
}

absl::Status DataRecorder::RecordSpan(data::v1::Span span) {
  data::v1::AppendSpansRequest request;
  *request.add_spans() = std::move(span);
  return data_->AppendSpans(owner_->Current(), request);
}

absl::StatusOr<std::string> DataRecorder::RequestApproval(
    const v1::ToolCall& call) {
  data::v1::CreateApprovalRequest request;
  request.set_run_id(live_->run_id());
  request.set_tool_call_id(call.tool_call_id());
  request.set_tool_name(call.tool_name());
  request.set_arguments_json(call.arguments_json());
  request.set_args_sha256(ArgumentsSha256(call.arguments_json()));
  request.set_ttl_seconds(absl::ToInt64Seconds(approval_ttl_));
  absl::StatusOr<data::v1::Approval> approval =
      data_->CreateApproval(owner_->Current(), request);
  if (!approval.ok()) return approval.status();
  return approval->approval_id();
}

absl::Status DataRecorder::StartWhenSessionIdle(absl::Duration stale_after) {
  data::v1::UpdateRunRequest request;
  request.set_run_id(live_->run_id());
  request.set_status(common::v1::RUN_STATUS_RUNNING);
  request.set_expected_status(status_);
  request.set_only_when_session_idle(true);
  request.set_session_stale_after_ms(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(stale_after)));
  absl::Status stored = data_->UpdateRun(owner_->Current(), request).status();
  if (stored.ok()) status_ = common::v1::RUN_STATUS_RUNNING;
  return stored;
}

absl::Status DataRecorder::Finish(const v1::RunEvent& event) {
  data::v1::UpdateRunRequest request;
  request.set_run_id(live_->run_id());
  request.set_expected_status(status_);
  if (event.has_completed()) {
    request.set_status(common::v1::RUN_STATUS_COMPLETED);
    request.set_update_output(true);
    request.set_output(event.completed().output());
  } else if (event.has_failed()) {
    request.set_status(common::v1::RUN_STATUS_FAILED);
    request.set_update_error(true);
    request.set_error(event.failed().message());
  } else if (event.has_cancelled()) {
    request.set_status(common::v1::RUN_STATUS_CANCELLED);
  } else {
    request.set_status(common::v1::RUN_STATUS_PAUSED);
    request.set_update_paused_tool_calls(true);
    for (const v1::ToolCall& call : event.paused().requirements()) {
      *request.add_paused_tool_calls() = ToPaused(call);
    }
  }
  absl::StatusOr<data::v1::RunRecord> updated = WhileUnavailable(
      [&] { return data_->UpdateRun(owner_->Current(), request); });
  if (!updated.ok()) {
    Log(LogLevel::kWarning, "run_status_not_stored",
        {{"run_id", live_->run_id()}, {"error", updated.status().ToString()}});
  }
  return updated.status();
}

}  // namespace bastion::runs
