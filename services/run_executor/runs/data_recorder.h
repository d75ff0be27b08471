// The RunRecorder of a run executing here: each event is stored in data as
// the run's owner (data numbers it), then handed to the run's live streams.
// Events are written behind the run (group commit): Record queues an event
// and returns; one append is in flight at a time, and the events queued
// meanwhile go together in the next, so a fast model costs a few appends
// rather than one per event, and a slow one loses no latency. An event
// that ends the run waits until every earlier event and span is stored,
// then is stored with the run's final status (and, for `paused`, the
// waiting calls) in one append, atomically: a run is never seen finished
// without its final event, nor the event without the status. Spans go to data's Traces as the owner, in
// batches (at the end of the run, or once kSpanBatch are waiting or the
// oldest has waited kSpanDelay). A run stopped because it lost its
// authority to act for its owner (`lost_authority`) ends failed, saying
// why, not cancelled. The end of a run is retried for up to 30 s while data
// answers UNAVAILABLE; an attempt that went unanswered but was stored is
// recognised (the retry finds the run ended as asked, with that event).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/run_executor/engine/run_recorder.h"
#include "services/run_executor/runs/live_runs.h"
#include "services/run_executor/runs/run_data.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Called by the run's own thread only (RunRecorder's contract); appends
// answer on gRPC's threads.
class DataRecorder final : public RunRecorder {
 public:
  // Spans are sent once this many wait, or the oldest has waited kSpanDelay.
  static constexpr size_t kSpanBatch = 64;
  static constexpr absl::Duration kSpanDelay = absl::Seconds(1);
  // At most this many events go in one append; Record waits while as many
  // are queued behind the append in flight (data is slower than the model).
  static constexpr int kEventBatch = 256;
  // And an append carries at most about this many bytes of events (one
  // larger event goes alone).
  static constexpr size_t kBatchBytes = 1 << 20;

  // Not owned; all must outlive the recorder.
  // `status` is the run's stored status now (running, or pending when it
  // waits for its session). `lost_authority` (callable from any thread)
  // answers OK while the run may act for its owner, else the caller-safe
  // reason it may not. Approvals it records expire after `approval_ttl`.
  DataRecorder(RunData* data, const RunCaller* owner, LiveRun* live,
               common::v1::RunStatus status,
               std::function<absl::Status()> lost_authority,
               absl::Duration approval_ttl)
      : data_(data),
        owner_(owner),
        live_(live),
        status_(status),
        lost_authority_(std::move(lost_authority)),
        approval_ttl_(approval_ttl) {}
  // Waits for the append in flight; sends the spans still waiting.
  ~DataRecorder() override;
  DataRecorder(const DataRecorder&) = delete;
  DataRecorder& operator=(const DataRecorder&) = delete;

  // An error is that of this event or of an earlier one that could not be
  // stored; the run stops.
  absl::Status Record(v1::RunEvent event) override;
  absl::Status RecordSpan(data::v1::Span span) override;
  // A pending approval in data's ApprovalRecords, as the owner.
  absl::StatusOr<std::string> RequestApproval(const v1::ToolCall& call) override;

  // Pending -> running, only while no earlier run of the run's session is
  // in progress (a run whose record is older than `stale_after` counts as
  // stopped): FAILED_PRECONDITION while one is.
  absl::Status StartWhenSessionIdle(absl::Duration stale_after);

 private:
  // Stores an ending event with the final status, output and error (or the
  // paused calls) it implies, if the run is still in the status this
  // recorder left it in (else FAILED_PRECONDITION: another replica failed
  // it after its lease).
  absl::StatusOr<data::v1::AppendRunEventsResponse> End(
      const v1::RunEvent& event);
  // An event waiting for its append, and its stored form.
  struct Queued {
    v1::RunEvent event;
    data::v1::RunEventRecord record;
  };

  // Sends the queued events as one append; the caller has marked one in
  // flight and holds no lock.
  void Send(std::vector<Queued> batch);
  // The answer to Send: numbers and publishes the events, then sends what
  // was queued meanwhile.
  void Stored(std::vector<v1::RunEvent> events,
              absl::StatusOr<data::v1::AppendRunEventsResponse> stored);
  // Takes up to kEventBatch queued events; mutex_ held.
  std::vector<Queued> TakeQueued();
  // Waits until every queued event is stored; the first failure, if any.
  absl::Status Drain();
  // Sends the waiting spans (a failure is logged: spans never change a
  // run's outcome).
  void SendSpans();
  // kSpanBatch spans wait, or the oldest has waited kSpanDelay.
  bool SpansDue() const;

  RunData* const data_;
  const RunCaller* const owner_;
  LiveRun* const live_;
  common::v1::RunStatus status_;
  const std::function<absl::Status()> lost_authority_;
  const absl::Duration approval_ttl_;

  // std::mutex rather than absl::Mutex: ThreadSanitizer sees its
  // synchronization (Debian's Abseil is not instrumented).
  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_.
  std::deque<Queued> queued_;
  bool in_flight_ = false;
  absl::Status failure_;
  // The seq of the last event stored.
  int64_t last_seq_ = 0;

  // The run's thread only.
  std::vector<data::v1::Span> spans_;
  absl::Time oldest_span_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_
