// How a run looks while the bastion command follows it: for people, model
// output as it arrives, one line per tool call and result, a pause shown as
// a question naming each paused tool call and the commands that answer it,
// and the ending; on a terminal a spinner while nothing arrives. With
// --json, one protobuf JSON object per event and line.
#ifndef BASTION_TOOLS_CLI_PROGRESS_H_
#define BASTION_TOOLS_CLI_PROGRESS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "bastion/runs/v1/runs.pb.h"
#include "tools/cli/output.h"

namespace bastion::cli {

// Renders the events of one run to `out`. Thread-safe: a spinner thread may
// call Tick while the reading thread calls OnEvent.
class RunProgress {
 public:
  // `animate`: the output is a terminal and for people, so Tick draws a
  // spinner line (erased before anything else is printed).
  RunProgress(Output& out, bool animate);

  // Prints one event. Events already seen (seq not above the last one, as
  // after a reconnect) are skipped; an event of another run, or one after
  // the run ended, is an INTERNAL error (run-executor broke its contract).
  absl::Status OnEvent(const bastion::runs::v1::RunEvent& event);

  // Draws the next spinner frame, when animating and not in the middle of
  // a line of model output or after the end.
  void Tick();

  // Erases the spinner line and ends a line of model output left open.
  void Close();

  // OK when the run completed; RunEndedStatus (exit 11, 12, 13) when it
  // failed, was cancelled or paused; UNAVAILABLE naming how to reconnect
  // when the events stopped before any of these.
  absl::Status Result() const;

  // After a pause was answered: the run's further events follow.
  void Resume();

  std::string run_id() const;
  int64_t last_seq() const;
  bool paused() const;
  // The tool calls the pause waits for (empty unless paused).
  std::vector<bastion::runs::v1::ToolCall> paused_calls() const;

 private:
  void Print(const bastion::runs::v1::RunEvent& event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void PrintPause(const bastion::runs::v1::RunPaused& paused)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void EraseSpinner() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void EndLine() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  Output& out_ ABSL_GUARDED_BY(mutex_);
  const bool animate_;
  std::string run_id_ ABSL_GUARDED_BY(mutex_);
  int64_t last_seq_ ABSL_GUARDED_BY(mutex_) = 0;
  bastion::runs::v1::RunEvent ending_ ABSL_GUARDED_BY(mutex_);
  // Tool names by call id, for the result lines; bounded.
  std::map<std::string, std::string> tool_names_ ABSL_GUARDED_BY(mutex_);
  std::string activity_ ABSL_GUARDED_BY(mutex_);
  bool streamed_output_ ABSL_GUARDED_BY(mutex_) = false;
  bool mid_line_ ABSL_GUARDED_BY(mutex_) = false;
  bool spinner_shown_ ABSL_GUARDED_BY(mutex_) = false;
  size_t frame_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_PROGRESS_H_
