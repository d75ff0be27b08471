#include "services/run_executor/runs/data_recorder.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
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

DataRecorder::~DataRecorder() {
  (void)Drain();
  SendSpans();
}

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
  if (!EndsRun(event)) {
    // Encoded now, so that a bad event fails here rather than its batch.
    absl::StatusOr<data::v1::RunEventRecord> record = ToRecord(event);
    if (!record.ok()) return record.status();
    if (SpansDue()) SendSpans();
    std::vector<Queued> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] {
        return !failure_.ok() ||
               queued_.size() < static_cast<size_t>(kEventBatch);
      });
      if (!failure_.ok()) return failure_;
      queued_.push_back({std::move(event), *std::move(record)});
      if (in_flight_) return absl::OkStatus();
      in_flight_ = true;
      batch = TakeQueued();
    }
    Send(std::move(batch));
    return absl::OkStatus();
  }

  // The end: everything before it is stored first, then the final status
  // and the final event together.
  absl::Status drained = Drain();
  SendSpans();
  if (!drained.ok()) return drained;
  absl::StatusOr<data::v1::AppendRunEventsResponse> stored = End(event);
  if (!stored.ok()) {
    Log(LogLevel::kWarning, "run_end_not_stored",
        {{"run_id", live_->run_id()}, {"error", stored.status().ToString()}});
    return stored.status();
  }
  if (stored->events_size() != 1) {
    return absl::InternalError("data stored no event");
  }
  event.set_seq(stored->events(0).seq());
  event.set_created_at_unix(stored->events(0).created_at_unix_micros() / 1000000);
  live_->Publish(event);
  return absl::OkStatus();
}

std::vector<DataRecorder::Queued> DataRecorder::TakeQueued() {
  std::vector<Queued> batch;
  size_t bytes = 0;
  while (!queued_.empty() && batch.size() < static_cast<size_t>(kEventBatch)) {
    const size_t size = queued_.front().record.ByteSizeLong();
    if (!batch.empty() && bytes + size > kBatchBytes) break;
    bytes += size;
    batch.push_back(std::move(queued_.front()));
    queued_.pop_front();
  }
  return batch;
}

void DataRecorder::Send(std::vector<Queued> batch) {
  data::v1::AppendRunEventsRequest request;
  request.set_run_id(live_->run_id());
  std::vector<v1::RunEvent> events;
  events.reserve(batch.size());
  for (Queued& queued : batch) {
    *request.add_events() = std::move(queued.record);
    events.push_back(std::move(queued.event));
  }
  data_->AppendRunEventsAsync(
      owner_->Current(), std::move(request),
      [this, events = std::move(events)](
          absl::StatusOr<data::v1::AppendRunEventsResponse> stored) mutable {
        Stored(std::move(events), std::move(stored));
      });
}

void DataRecorder::Stored(
    std::vector<v1::RunEvent> events,
    absl::StatusOr<data::v1::AppendRunEventsResponse> stored) {
  std::vector<Queued> next;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Waiters (room in the queue, the end, the destructor) look again; told
    // under the lock, so that none can go (and destroy this) before.
    changed_.notify_all();
    if (stored.ok() &&
        stored->events_size() != static_cast<int>(events.size())) {
      stored = absl::InternalError("data did not store every event");
    }
    if (!stored.ok()) {
      if (failure_.ok()) failure_ = stored.status();
      queued_.clear();
      in_flight_ = false;
      return;
    }
    // Published in the order data numbered them, before the next append.
    for (size_t i = 0; i < events.size(); ++i) {
      const data::v1::RunEventRecord& record = stored->events(static_cast<int>(i));
      last_seq_ = record.seq();
      events[i].set_seq(record.seq());
      events[i].set_created_at_unix(record.created_at_unix_micros() / 1000000);
      live_->Publish(events[i]);
    }
    if (queued_.empty()) {
      in_flight_ = false;
      return;
    }
    next = TakeQueued();
  }
  Send(std::move(next));
}

absl::Status DataRecorder::Drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !in_flight_; });
  return failure_;
}

absl::Status DataRecorder::RecordSpan(data::v1::Span span) {
  if (spans_.empty()) oldest_span_ = absl::Now();
  spans_.push_back(std::move(span));
  if (SpansDue()) SendSpans();
  return absl::OkStatus();
}

bool DataRecorder::SpansDue() const {
  return spans_.size() >= kSpanBatch ||
         (!spans_.empty() && absl::Now() - oldest_span_ >= kSpanDelay);
}

void DataRecorder::SendSpans() {
  if (spans_.empty()) return;
  data::v1::AppendSpansRequest request;
  for (data::v1::Span& span : spans_) *request.add_spans() = std::move(span);
  spans_.clear();
  absl::Status stored = data_->AppendSpans(owner_->Current(), request);
  if (!stored.ok()) {
    Log(LogLevel::kWarning, "run_spans_not_stored",
        {{"run_id", live_->run_id()},
         {"spans", std::to_string(request.spans_size())},
         {"error", stored.ToString()}});
  }
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

absl::StatusOr<data::v1::AppendRunEventsResponse> DataRecorder::End(
    const v1::RunEvent& event) {
  ASSIGN_OR_RETURN(const data::v1::AppendRunEventsRequest request,
                   EndAppend(live_->run_id(), event, status_));
  bool unanswered = false;
  absl::StatusOr<data::v1::AppendRunEventsResponse> stored =
      WhileUnavailable([&] {
        absl::StatusOr<data::v1::AppendRunEventsResponse> answer =
            data_->AppendRunEvents(owner_->Current(), request);
        if (answer.status().code() == absl::StatusCode::kUnavailable) {
          unanswered = true;
        }
        return answer;
      });
  if (stored.status().code() != absl::StatusCode::kFailedPrecondition ||
      !unanswered) {
    return stored;
  }
  // An attempt data did not answer may have been stored all the same: the
  // retry then finds the run ended. Ours if it ended as asked, with this
  // one event after the last one stored here.
  int64_t last_seq = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_seq = last_seq_;
  }
  data::v1::GetRunRequest read;
  read.set_run_id(live_->run_id());
  read.set_include_events(true);
  read.set_events_after_seq(last_seq);
  absl::StatusOr<data::v1::GetRunResponse> now =
      data_->GetRun(owner_->Current(), read);
  if (now.ok() && now->run().status() == request.end().status() &&
      now->events_size() == 1 &&
      now->events(0).type() == request.events(0).type()) {
    data::v1::AppendRunEventsResponse ours;
    *ours.add_events() = now->events(0);
    return ours;
  }
  return stored;
}

}  // namespace bastion::runs
