// The RunRecorder of a run executing here: each event is stored in data as
// the run's owner (data numbers it), then handed to the run's live streams;
// an event that ends the run first records the run's final status (and, for
// `paused`, the waiting calls), so that whoever sees that event finds the
// run finished or paused. Spans go to data's Traces as the owner. A run
// stopped because it lost its authority to act for its owner
// (`lost_authority`) ends failed, saying why, not cancelled. The end of a
// run (its final status, then its final event) is retried for up to 30 s
// while data answers UNAVAILABLE, so that a short outage does not leave a
// finished run without its final event.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_

#include <functional>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "services/run_executor/engine/run_recorder.h"
#include "services/run_executor/runs/live_runs.h"
#include "services/run_executor/runs/run_data.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Used by the run's own thread only (RunRecorder's contract).
class DataRecorder final : public RunRecorder {
 public:
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

  absl::Status Record(v1::RunEvent event) override;
  absl::Status RecordSpan(data::v1::Span span) override;
  // A pending approval in data's ApprovalRecords, as the owner.
  absl::StatusOr<std::string> RequestApproval(const v1::ToolCall& call) override;

  // Pending -> running, only while no earlier run of the run's session is
  // in progress (a run whose record is older than `stale_after` counts as
  // stopped): FAILED_PRECONDITION while one is.
  absl::Status StartWhenSessionIdle(absl::Duration stale_after);

 private:
  // Stores the final status, output and error an ending event implies, if
  // the run is still in the status this recorder left it in (else
  // FAILED_PRECONDITION: another replica failed it after its lease).
  absl::Status Finish(const v1::RunEvent& event);

  RunData* const data_;
  const RunCaller* const owner_;
  LiveRun* const live_;
  common::v1::RunStatus status_;
  const std::function<absl::Status()> lost_authority_;
  const absl::Duration approval_ttl_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_
