// The RunRecorder of a run executing here: each event is stored in data as
// the run's owner (data numbers it), then handed to the run's live streams;
// an event that ends the run first records the run's final status, so that
// whoever sees that event finds the run finished. Spans go to data's
// Traces as the owner.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_

#include <string>

#include "common/auth/caller.h"
#include "services/run_executor/engine/run_recorder.h"
#include "services/run_executor/runs/live_runs.h"
#include "services/run_executor/runs/run_data.h"

namespace bastion::runs {

// Used by the run's own thread only (RunRecorder's contract).
class DataRecorder final : public RunRecorder {
 public:
  // Not owned; all must outlive the recorder.
  DataRecorder(RunData* data, const Caller* owner, LiveRun* live)
      : data_(data), owner_(owner), live_(live) {}

  absl::Status Record(v1::RunEvent event) override;
  absl::Status RecordSpan(data::v1::Span span) override;

  // Stores the run's status alone (pending -> running).
  absl::Status SetStatus(common::v1::RunStatus status,
                         common::v1::RunStatus expected);

 private:
  // The final status, output and error an ending event implies.
  absl::Status Finish(const v1::RunEvent& event);

  RunData* const data_;
  const Caller* const owner_;
  LiveRun* const live_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_RECORDER_H_
