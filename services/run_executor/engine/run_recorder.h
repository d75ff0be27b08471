// Where a run's events, spans and approval requests go. The Runs service stores them in data as
// the run's owner and hands the events to the run's live streams; the
// engine's tests keep them in memory.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_ENGINE_RUN_RECORDER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_ENGINE_RUN_RECORDER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"

namespace bastion::runs {

// One per run; called only from the thread executing that run.
class RunRecorder {
 public:
  virtual ~RunRecorder() = default;
  // Stores one event whose payload is set; the recorder sets run_id, seq and
  // time. An error means the event could not be kept, and the run stops.
  virtual absl::Status Record(v1::RunEvent event) = 0;
  // Stores one finished span of the run's trace (trace_id is the run id;
  // parents may be stored after their children).
  virtual absl::Status RecordSpan(data::v1::Span span) = 0;
  // Records a pending approval of a tool call the run pauses on, bound to
  // the run, the call's id and the SHA-256 of its arguments; returns its
  // id. An error means the run cannot pause for it, and the run stops.
  virtual absl::StatusOr<std::string> RequestApproval(
      const v1::ToolCall& call) = 0;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_ENGINE_RUN_RECORDER_H_
