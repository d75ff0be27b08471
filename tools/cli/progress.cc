#include "tools/cli/progress.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace runs = bastion::runs::v1;

constexpr const char* kFrames[] = {"⠋", "⠙", "⠹", "⠸", "⠼",
                                   "⠴", "⠦", "⠧", "⠇", "⠏"};
constexpr size_t kMaxToolNames = 10000;
constexpr size_t kArgumentsWidth = 200;
constexpr size_t kResultWidth = 200;

bool Ended(const runs::RunEvent& event) {
  switch (event.event_case()) {
    case runs::RunEvent::kCompleted:
    case runs::RunEvent::kFailed:
    case runs::RunEvent::kCancelled:
    case runs::RunEvent::kPaused:
      return true;
    default:
      return false;
  }
}

std::string Plural(size_t count, const std::string& noun) {
  return absl::StrCat(count, " ", noun, count == 1 ? "" : "s");
}

}  // namespace

RunProgress::RunProgress(Output& out, bool animate)
    : out_(out), animate_(animate && !out.json()) {}

absl::Status RunProgress::OnEvent(const runs::RunEvent& event) {
  absl::MutexLock lock(&mutex_);
  if (!run_id_.empty() && event.run_id() != run_id_) {
    return absl::InternalError(
        absl::StrCat("run-executor sent an event of another run while "
                     "following run ",
                     Printable(run_id_)));
  }
  if (event.seq() <= last_seq_) return absl::OkStatus();
  if (ending_.event_case() != runs::RunEvent::EVENT_NOT_SET) {
    return absl::InternalError(absl::StrCat(
        "run-executor sent events after run ", Printable(run_id_), " ended"));
  }
  run_id_ = event.run_id();
  last_seq_ = event.seq();
  if (Ended(event)) ending_ = event;
  if (out_.json()) return out_.JsonLine(event);
  EraseSpinner();
  Print(event);
  out_.stream().flush();
  return absl::OkStatus();
}

void RunProgress::Print(const runs::RunEvent& event) {
  const Style& style = out_.style();
  std::ostream& stream = out_.stream();
  switch (event.event_case()) {
    case runs::RunEvent::kStarted: {
      const runs::RunStarted& started = event.started();
      stream << style.Paint(Colour::kDim, "▶ Run ")
             << style.Paint(Colour::kCyan, Printable(event.run_id()))
             << style.Paint(
                    Colour::kDim,
                    absl::StrCat(" of ",
                                 Printable(ComponentLabel(
                                     started.component_type(),
                                     started.component_id())),
                                 " in session ",
                                 Printable(started.session_id())))
             << "\n";
      activity_ = "waiting for the model";
      break;
    }
    case runs::RunEvent::kModelOutput: {
      const std::string text =
          Printable(event.model_output().text(), /*keep_newlines=*/true);
      if (text.empty()) break;
      stream << text;
      mid_line_ = text.back() != '\n';
      streamed_output_ = true;
      activity_ = "waiting for the model";
      break;
    }
    case runs::RunEvent::kToolCall: {
      const runs::ToolCall& call = event.tool_call();
      if (tool_names_.size() < kMaxToolNames)
        tool_names_[call.tool_call_id()] = call.tool_name();
      EndLine();
      stream << style.Paint(Colour::kYellow, "→ ")
             << style.Paint(Colour::kBold, Printable(call.tool_name())) << " "
             << Truncate(Printable(call.arguments_json()), kArgumentsWidth)
             << "\n";
      activity_ = absl::StrCat("running ", Printable(call.tool_name()));
      break;
    }
    case runs::RunEvent::kToolResult: {
      const runs::ToolResult& result = event.tool_result();
      auto name = tool_names_.find(result.tool_call_id());
      const std::string tool = Printable(
          name == tool_names_.end() ? result.tool_call_id() : name->second);
      EndLine();
      const std::string content =
          Truncate(Printable(result.content()), kResultWidth);
      if (result.is_error()) {
        stream << style.Paint(Colour::kRed, absl::StrCat("← ", tool, " failed: "))
               << content << "\n";
      } else {
        stream << style.Paint(Colour::kGreen, absl::StrCat("← ", tool, ": "))
               << content << "\n";
      }
      activity_ = "waiting for the model";
      break;
    }
    case runs::RunEvent::kPaused:
      EndLine();
      PrintPause(event.paused());
      break;
    case runs::RunEvent::kCompleted:
      if (!streamed_output_ && !event.completed().output().empty()) {
        const std::string output =
            Printable(event.completed().output(), /*keep_newlines=*/true);
        stream << output;
        mid_line_ = output.back() != '\n';
      }
      EndLine();
      stream << style.Paint(Colour::kGreen, "✓ Completed") << "\n";
      break;
    case runs::RunEvent::kFailed:
      EndLine();
      stream << style.Paint(Colour::kRed, "✗ Failed: ")
             << Printable(event.failed().message(), /*keep_newlines=*/true)
             << "\n";
      break;
    case runs::RunEvent::kCancelled:
      EndLine();
      stream << style.Paint(Colour::kYellow, "■ Cancelled")
             << (event.cancelled().cancelled_by().empty()
                     ? ""
                     : absl::StrCat(" by ",
                                    Printable(event.cancelled().cancelled_by())))
             << "\n";
      break;
    case runs::RunEvent::EVENT_NOT_SET:
      break;
  }
}

void RunProgress::PrintPause(const runs::RunPaused& paused) {
  const Style& style = out_.style();
  std::ostream& stream = out_.stream();
  const std::string run = Printable(run_id_);
  stream << style.Paint(Colour::kYellow, "? ")
         << style.Paint(
                Colour::kBold,
                absl::StrCat("Run ", run, " is paused: it waits for a decision on ",
                             Plural(paused.requirements_size(), "tool call"),
                             "."))
         << "\n";
  const runs::ToolCall* confirmable = nullptr;
  const runs::ToolCall* approvable = nullptr;
  for (const runs::ToolCall& call : paused.requirements()) {
    std::string needs = "your decision";
    if (call.requires_approval()) {
      needs = absl::StrCat("approval ", call.approval_id(), " by an approver");
      if (approvable == nullptr) approvable = &call;
    } else {
      if (confirmable == nullptr) confirmable = &call;
      if (call.requires_confirmation()) needs = "your confirmation";
    }
    stream << "  " << style.Paint(Colour::kCyan, Printable(call.tool_call_id()))
           << "  " << style.Paint(Colour::kBold, Printable(call.tool_name()))
           << " "
           << Truncate(Printable(call.arguments_json()), kArgumentsWidth)
           << style.Paint(Colour::kDim,
                          absl::StrCat("  (needs ", Printable(needs), ")"))
           << "\n";
  }
  if (confirmable != nullptr) {
    const std::string id = Printable(confirmable->tool_call_id());
    stream << "Answer with `bastion continue " << run << " --approve " << id
           << "` (or `--reject " << id
           << "`), one flag per tool call; on a terminal `bastion continue "
           << run << "` asks.\n";
  }
  if (approvable != nullptr) {
    stream << "An approver answers with `bastion approvals approve "
           << Printable(approvable->approval_id())
           << "` (or `reject`); you cannot approve your own run's calls.\n";
  }
}

void RunProgress::Tick() {
  absl::MutexLock lock(&mutex_);
  if (!animate_ || mid_line_ ||
      ending_.event_case() != runs::RunEvent::EVENT_NOT_SET) {
    return;
  }
  const size_t frames = sizeof(kFrames) / sizeof(kFrames[0]);
  out_.stream() << "\r\x1b[2K"
                << out_.style().Paint(Colour::kCyan, kFrames[frame_ % frames])
                << " "
                << out_.style().Paint(Colour::kDim,
                                      activity_.empty() ? "starting"
                                                        : activity_)
                << std::flush;
  ++frame_;
  spinner_shown_ = true;
}

void RunProgress::Close() {
  absl::MutexLock lock(&mutex_);
  if (out_.json()) return;
  EraseSpinner();
  EndLine();
  out_.stream().flush();
}

void RunProgress::EraseSpinner() {
  if (!spinner_shown_) return;
  out_.stream() << "\r\x1b[2K";
  spinner_shown_ = false;
}

void RunProgress::EndLine() {
  if (!mid_line_) return;
  out_.stream() << "\n";
  mid_line_ = false;
}

absl::Status RunProgress::Result() const {
  absl::MutexLock lock(&mutex_);
  const std::string run = Printable(run_id_);
  switch (ending_.event_case()) {
    case runs::RunEvent::kCompleted:
      return absl::OkStatus();
    case runs::RunEvent::kFailed:
      return RunEndedStatus(
          kExitRunFailed,
          absl::StrCat("run ", run, " failed: ", ending_.failed().message()));
    case runs::RunEvent::kCancelled:
      return RunEndedStatus(kExitRunCancelled,
                            absl::StrCat("run ", run, " was cancelled"));
    case runs::RunEvent::kPaused:
      return RunEndedStatus(kExitRunPaused,
                            absl::StrCat("run ", run, " is paused"));
    default:
      break;
  }
  if (run_id_.empty()) {
    return absl::UnavailableError("the run's events stopped before it started");
  }
  return absl::UnavailableError(absl::StrCat(
      "the run's events stopped before it ended; follow it again with "
      "`bastion runs stream ",
      run, " --after ", last_seq_, "`"));
}

void RunProgress::Resume() {
  absl::MutexLock lock(&mutex_);
  if (ending_.event_case() == runs::RunEvent::kPaused) ending_.Clear();
}

std::string RunProgress::run_id() const {
  absl::MutexLock lock(&mutex_);
  return run_id_;
}

int64_t RunProgress::last_seq() const {
  absl::MutexLock lock(&mutex_);
  return last_seq_;
}

bool RunProgress::paused() const {
  absl::MutexLock lock(&mutex_);
  return ending_.event_case() == runs::RunEvent::kPaused;
}

std::vector<runs::ToolCall> RunProgress::paused_calls() const {
  absl::MutexLock lock(&mutex_);
  if (ending_.event_case() != runs::RunEvent::kPaused) return {};
  return {ending_.paused().requirements().begin(),
          ending_.paused().requirements().end()};
}

}  // namespace bastion::cli
