// run, continue, cancel and runs: start agents, teams and workflows on
// run-executor and follow their events (progress.h draws them), answer a
// paused run's tool calls, cancel, list, show and reconnect to runs.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <istream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"
#include "tools/cli/listing.h"
#include "tools/cli/progress.h"

namespace bastion::cli {
namespace {

namespace common = bastion::common::v1;
namespace runs = bastion::runs::v1;

constexpr size_t kMaxInputBytes = 64 * 1024;  // what run-executor accepts
constexpr size_t kMaxAnswerBytes = 1024;
constexpr int kMaxInteractiveRounds = 100;
constexpr auto kSpinnerInterval = std::chrono::milliseconds(100);

// Draws the spinner every kSpinnerInterval while it lives (only when the
// progress animates; Tick is a no-op otherwise).
class Spinner {
 public:
  explicit Spinner(RunProgress& progress, bool animate) : progress_(progress) {
    if (!animate) return;
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!stop_) {
        lock.unlock();
        progress_.Tick();
        lock.lock();
        wake_.wait_for(lock, kSpinnerInterval, [this] { return stop_; });
      }
    });
  }
  ~Spinner() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    progress_.Close();
  }
  Spinner(const Spinner&) = delete;
  Spinner& operator=(const Spinner&) = delete;

 private:
  RunProgress& progress_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

bool Animate(CommandContext& context) {
  return context.terminal().out_is_tty && !context.out().json();
}

// Pauses are answered by asking only when a person sits at both ends.
bool CanAsk(CommandContext& context) {
  return context.terminal().in_is_tty && context.terminal().out_is_tty &&
         !context.out().json() && !context.args().Switch("no-prompt");
}

// --wait: how long to follow the events; nullopt follows until the run
// ends or pauses.
absl::StatusOr<std::optional<absl::Duration>> WaitFlag(const ParsedArgs& args) {
  const auto value = args.Value("wait");
  if (!value.has_value()) return std::optional<absl::Duration>();
  ASSIGN_OR_RETURN(absl::Duration wait, ParseDurationFlag("wait", *value));
  if (wait <= absl::ZeroDuration()) return UsageError("--wait must be positive");
  return std::optional<absl::Duration>(wait);
}

// Follows one stream of events into `progress`, the spinner turning while
// nothing arrives.
template <typename Request>
absl::Status Follow(CommandContext& context, Client& client,
                    std::unique_ptr<grpc::ClientReader<runs::RunEvent>> (
                        runs::Runs::Stub::*method)(grpc::ClientContext*,
                                                   const Request&),
                    const Request& request, RunProgress& progress) {
  ASSIGN_OR_RETURN(std::optional<absl::Duration> wait,
                   WaitFlag(context.args()));
  absl::Status streamed;
  {
    Spinner spinner(progress, Animate(context));
    streamed = client.Stream(
        Service::kRuns, method, request, wait,
        [&](const runs::RunEvent& event) { return progress.OnEvent(event); });
  }
  const absl::Status result = progress.Result();
  if (streamed.ok() || result.ok() || IsRunEnded(result)) return result;
  if (progress.run_id().empty()) return streamed;
  return absl::Status(streamed.code(),
                      absl::StrCat(streamed.message(), "; ", result.message()));
}

// Reads one answer line from standard input (bounded); nullopt at the end.
std::optional<std::string> ReadAnswer(std::istream& in) {
  std::string line;
  char c;
  while (in.get(c)) {
    if (c == '\n') return line;
    if (line.size() < kMaxAnswerBytes) line.push_back(c);
  }
  if (line.empty()) return std::nullopt;
  return line;
}

// Asks about each call on the terminal: y runs it, n refuses it. nullopt
// when standard input ends before every call is answered.
std::optional<std::vector<runs::ToolDecision>> Ask(
    CommandContext& context, const std::vector<runs::ToolCall>& calls) {
  std::vector<runs::ToolDecision> decisions;
  const Style& style = context.out().style();
  std::ostream& out = context.out().stream();
  for (const runs::ToolCall& call : calls) {
    while (true) {
      out << style.Paint(Colour::kYellow, "? ") << "Run "
          << style.Paint(Colour::kBold, Printable(call.tool_name())) << " "
          << Truncate(Printable(call.arguments_json()), 200) << " ("
          << Printable(call.tool_call_id()) << ")? [y/n] " << std::flush;
      std::optional<std::string> answer = ReadAnswer(*context.terminal().in);
      if (!answer.has_value()) {
        out << "\nNo answer; the run stays paused.\n";
        return std::nullopt;
      }
      const std::string word =
          absl::AsciiStrToLower(absl::StripAsciiWhitespace(*answer));
      if (word == "y" || word == "yes" || word == "n" || word == "no") {
        runs::ToolDecision decision;
        decision.set_tool_call_id(call.tool_call_id());
        decision.set_confirmed(word[0] == 'y');
        decisions.push_back(decision);
        break;
      }
      out << "Please answer y or n.\n";
    }
  }
  return decisions;
}

// True when every call can be decided by the run's owner (none waits for
// an approver).
bool OwnerDecides(const std::vector<runs::ToolCall>& calls) {
  if (calls.empty()) return false;
  for (const runs::ToolCall& call : calls) {
    if (call.requires_approval()) return false;
  }
  return true;
}

// Continues `run_id` with `decisions`, then, while a person can answer,
// asks about each further pause and continues again.
absl::Status ContinueAndFollow(CommandContext& context, Client& client,
                               RunProgress& progress,
                               runs::ContinueRunRequest request) {
  for (int round = 0; round < kMaxInteractiveRounds; ++round) {
    progress.Resume();
    absl::Status result = Follow(context, client, &runs::Runs::Stub::ContinueRun,
                                 request, progress);
    const std::vector<runs::ToolCall> calls = progress.paused_calls();
    if (!progress.paused() || !CanAsk(context) || !OwnerDecides(calls)) {
      return result;
    }
    std::optional<std::vector<runs::ToolDecision>> decisions =
        Ask(context, calls);
    if (!decisions.has_value()) return result;
    request.clear_decisions();
    for (runs::ToolDecision& decision : *decisions)
      *request.add_decisions() = std::move(decision);
  }
  return progress.Result();
}

// After the first stream of a run: answer its pauses when a person can.
absl::Status AnswerPauses(CommandContext& context, Client& client,
                          RunProgress& progress, absl::Status result,
                          common::ComponentType type, const std::string& id) {
  const std::vector<runs::ToolCall> calls = progress.paused_calls();
  if (!progress.paused() || !CanAsk(context) || !OwnerDecides(calls)) {
    return result;
  }
  std::optional<std::vector<runs::ToolDecision>> decisions =
      Ask(context, calls);
  if (!decisions.has_value()) return result;
  runs::ContinueRunRequest request;
  request.set_run_id(progress.run_id());
  request.set_component_type(type);
  request.set_component_id(id);
  for (runs::ToolDecision& decision : *decisions)
    *request.add_decisions() = std::move(decision);
  return ContinueAndFollow(context, client, progress, std::move(request));
}

// The run's input: the INPUT argument, else standard input when it is not a
// terminal (at most 64 KiB).
absl::StatusOr<std::string> InputOf(CommandContext& context) {
  const std::vector<std::string>& positionals = context.args().positionals();
  std::string input;
  if (positionals.size() > 2) {
    input = positionals[2];
  } else if (context.terminal().in_is_tty) {
    return UsageError("missing INPUT (or pipe it on standard input)");
  } else {
    char buffer[4096];
    std::istream& in = *context.terminal().in;
    while (input.size() <= kMaxInputBytes &&
           in.read(buffer, sizeof(buffer)).gcount() > 0) {
      input.append(buffer, static_cast<size_t>(in.gcount()));
    }
    while (!input.empty() && (input.back() == '\n' || input.back() == '\r'))
      input.pop_back();
  }
  if (input.size() > kMaxInputBytes) {
    return UsageError("the input is larger than 64 KiB");
  }
  return input;
}

absl::StatusOr<runs::SessionPolicy> PolicyOf(const ParsedArgs& args) {
  const auto policy = args.Value("policy");
  if (!policy.has_value()) return runs::SESSION_POLICY_UNSPECIFIED;
  if (*policy == "reject") return runs::SESSION_POLICY_REJECT;
  if (*policy == "enqueue") return runs::SESSION_POLICY_ENQUEUE;
  if (*policy == "interrupt") return runs::SESSION_POLICY_INTERRUPT;
  return UsageError(absl::StrCat(
      "--policy must be reject, enqueue or interrupt, not '", *policy, "'"));
}

absl::Status RunComponent(CommandContext& context) {
  const ParsedArgs& args = context.args();
  ASSIGN_OR_RETURN(common::ComponentType type,
                   ParseComponentType("KIND", args.positionals()[0]));
  const std::string& id = args.positionals()[1];
  ASSIGN_OR_RETURN(std::string input, InputOf(context));
  ASSIGN_OR_RETURN(runs::SessionPolicy policy, PolicyOf(args));
  RETURN_IF_ERROR(WaitFlag(args).status());
  const std::string session = args.Value("session").value_or("");

  ASSIGN_OR_RETURN(Client client, context.Connect());
  RunProgress progress(context.out(), Animate(context));
  absl::Status result;
  switch (type) {
    case common::COMPONENT_TYPE_AGENT: {
      runs::RunAgentRequest request;
      request.set_agent_id(id);
      request.set_input(input);
      request.set_session_id(session);
      request.set_session_policy(policy);
      result = Follow(context, client, &runs::Runs::Stub::RunAgent, request,
                      progress);
      break;
    }
    case common::COMPONENT_TYPE_TEAM: {
      runs::RunTeamRequest request;
      request.set_team_id(id);
      request.set_input(input);
      request.set_session_id(session);
      request.set_session_policy(policy);
      result = Follow(context, client, &runs::Runs::Stub::RunTeam, request,
                      progress);
      break;
    }
    default: {
      runs::RunWorkflowRequest request;
      request.set_workflow_id(id);
      request.set_input(input);
      request.set_session_id(session);
      request.set_session_policy(policy);
      result = Follow(context, client, &runs::Runs::Stub::RunWorkflow, request,
                      progress);
      break;
    }
  }
  return AnswerPauses(context, client, progress, std::move(result), type, id);
}

absl::StatusOr<runs::Run> GetRun(Client& client, const std::string& run_id) {
  runs::GetRunRequest request;
  request.set_run_id(run_id);
  runs::Run run;
  RETURN_IF_ERROR(
      client.Call(Service::kRuns, &runs::Runs::Stub::GetRun, request, &run));
  return run;
}

absl::Status ContinueRun(CommandContext& context) {
  const ParsedArgs& args = context.args();
  const std::string& run_id = args.positionals()[0];
  const std::vector<std::string> approve = SplitList(args.Values("approve"));
  const std::vector<std::string> reject = SplitList(args.Values("reject"));
  std::set<std::string> named;
  for (const auto* ids : {&approve, &reject}) {
    for (const std::string& call_id : *ids) {
      if (!named.insert(call_id).second) {
        return UsageError(
            absl::StrCat("tool call '", call_id, "' is named more than once"));
      }
    }
  }
  RETURN_IF_ERROR(WaitFlag(args).status());
  if (named.empty() && !CanAsk(context)) {
    return UsageError(
        "say what to do with each paused tool call: --approve CALL_ID or "
        "--reject CALL_ID (`bastion runs show RUN_ID` lists them)");
  }

  ASSIGN_OR_RETURN(Client client, context.Connect());
  ASSIGN_OR_RETURN(runs::Run run, GetRun(client, run_id));
  runs::ContinueRunRequest request;
  request.set_run_id(run.run_id());
  request.set_component_type(run.component_type());
  request.set_component_id(run.component_id());
  if (named.empty()) {
    const std::vector<runs::ToolCall> pending(run.pending_tool_calls().begin(),
                                              run.pending_tool_calls().end());
    if (run.status() != common::RUN_STATUS_PAUSED || pending.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("run ", Printable(run_id), " is not paused"));
    }
    if (!OwnerDecides(pending)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run ", Printable(run_id),
          " waits for an approver (`bastion approvals list` shows the "
          "approvals)"));
    }
    std::optional<std::vector<runs::ToolDecision>> decisions =
        Ask(context, pending);
    if (!decisions.has_value()) {
      return RunEndedStatus(kExitRunPaused,
                            absl::StrCat("run ", run_id, " is paused"));
    }
    for (runs::ToolDecision& decision : *decisions)
      *request.add_decisions() = std::move(decision);
  } else {
    for (const std::string& call_id : approve) {
      runs::ToolDecision* decision = request.add_decisions();
      decision->set_tool_call_id(call_id);
      decision->set_confirmed(true);
    }
    for (const std::string& call_id : reject) {
      runs::ToolDecision* decision = request.add_decisions();
      decision->set_tool_call_id(call_id);
      decision->set_confirmed(false);
    }
  }
  RunProgress progress(context.out(), Animate(context));
  return ContinueAndFollow(context, client, progress, std::move(request));
}

Cell StatusCell(common::RunStatus status) {
  switch (status) {
    case common::RUN_STATUS_PENDING:
      return Cell("pending", Colour::kDim);
    case common::RUN_STATUS_RUNNING:
      return Cell("running", Colour::kCyan);
    case common::RUN_STATUS_PAUSED:
      return Cell("paused", Colour::kYellow);
    case common::RUN_STATUS_COMPLETED:
      return Cell("completed", Colour::kGreen);
    case common::RUN_STATUS_FAILED:
      return Cell("failed", Colour::kRed);
    case common::RUN_STATUS_CANCELLED:
      return Cell("cancelled", Colour::kYellow);
    default:
      return Cell("?");
  }
}

absl::Status CancelRun(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  ASSIGN_OR_RETURN(runs::Run run,
                   GetRun(client, context.args().positionals()[0]));
  runs::CancelRunRequest request;
  request.set_run_id(run.run_id());
  request.set_component_type(run.component_type());
  request.set_component_id(run.component_id());
  runs::CancelRunResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns, &runs::Runs::Stub::CancelRun,
                              request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  out.Line(absl::StrCat("Cancelled run ", response.run().run_id(), " (now ",
                        StatusCell(response.run().status()).text, ")."));
  return absl::OkStatus();
}

absl::Status ListRuns(CommandContext& context) {
  const ParsedArgs& args = context.args();
  runs::ListRunsRequest request;
  ASSIGN_OR_RETURN(*request.mutable_page(), PageFrom(args));
  request.set_session_id(args.Value("session").value_or(""));
  if (auto type = args.Value("component-type")) {
    ASSIGN_OR_RETURN(auto parsed, ParseComponentType("component-type", *type));
    request.set_component_type(parsed);
  }
  request.set_component_id(args.Value("component-id").value_or(""));
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ListRunsResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns, &runs::Runs::Stub::ListRuns,
                              request, &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.runs().empty()) {
    out.Line("No runs.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const runs::Run& run : response.runs()) {
    rows.push_back({Cell(run.run_id(), Colour::kCyan),
                    ComponentLabel(run.component_type(), run.component_id()),
                    StatusCell(run.status()), run.session_id(),
                    FormatUnixSeconds(run.updated_at_unix())});
  }
  out.Table({"ID", "COMPONENT", "STATUS", "SESSION", "UPDATED"}, rows);
  PrintNextPage(out, "runs list", response.page().next_cursor());
  return absl::OkStatus();
}

absl::Status ShowRun(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  ASSIGN_OR_RETURN(runs::Run run,
                   GetRun(client, context.args().positionals()[0]));
  Output& out = context.out();
  if (out.json()) return out.Json(run);
  out.Fields({
      {"ID", Cell(run.run_id(), Colour::kCyan)},
      {"Component", ComponentLabel(run.component_type(), run.component_id())},
      {"Status", StatusCell(run.status())},
      {"Session", run.session_id()},
      {"Owner", absl::StrCat(run.user_id(), " (tenant ", run.tenant_id(), ")")},
      {"Created", FormatUnixSeconds(run.created_at_unix())},
      {"Updated", FormatUnixSeconds(run.updated_at_unix())},
      {"Input", run.input()},
      {"Output", run.output().empty() ? "-" : run.output()},
  });
  if (!run.pending_tool_calls().empty()) {
    out.Line("Waiting for a decision on:", Colour::kBold);
    std::vector<std::vector<Cell>> rows;
    for (const runs::ToolCall& call : run.pending_tool_calls()) {
      rows.push_back({Cell(call.tool_call_id(), Colour::kCyan),
                      call.tool_name(), call.arguments_json(),
                      call.requires_approval()
                          ? absl::StrCat("approval ", call.approval_id())
                          : std::string("your decision")});
    }
    out.Table({"CALL", "TOOL", "ARGUMENTS", "NEEDS"}, rows);
  }
  return absl::OkStatus();
}

absl::Status StreamRun(CommandContext& context) {
  const ParsedArgs& args = context.args();
  runs::StreamRunRequest request;
  request.set_run_id(args.positionals()[0]);
  if (auto after = args.Value("after")) {
    ASSIGN_OR_RETURN(int seq, ParseIntFlag("after", *after, 0, 1 << 30));
    request.set_after_seq(seq);
  }
  RETURN_IF_ERROR(WaitFlag(args).status());
  ASSIGN_OR_RETURN(Client client, context.Connect());
  RunProgress progress(context.out(), Animate(context));
  return Follow(context, client, &runs::Runs::Stub::StreamRun, request,
                progress);
}

FlagSpec WaitFlagSpec() {
  return {"wait", FlagKind::kValue, "DURATION",
          "Stop following after this long (the run goes on)"};
}

FlagSpec NoPromptFlagSpec() {
  return {"no-prompt", FlagKind::kSwitch, "",
          "On a terminal too, stop at a pause instead of asking"};
}

constexpr char kOutcomes[] =
    "Exit code: 0 completed, 11 failed, 12 cancelled, 13 paused (answer with\n"
    "`bastion continue`, or an approver with `bastion approvals approve`).\n"
    "Interrupting the command stops following, not the run: `bastion runs\n"
    "stream RUN_ID` follows it again, `bastion cancel RUN_ID` stops it.";

}  // namespace

void AddRunCommands(CommandTable* table) {
  table->commands.push_back(Command{
      {"run"},
      "Run an agent, team or workflow and follow its events",
      absl::StrCat(
          "Model output appears as it arrives, one line per tool call and\n"
          "result. A pause names each tool call waiting for a decision; on a\n"
          "terminal you are asked about each one. With --json, one JSON\n"
          "object per event and line.\n",
          kOutcomes),
      {{"KIND", "agent, team or workflow"},
       {"ID", "The component's id"},
       {"INPUT",
        "Your message (default: standard input when it is not a terminal)",
        /*optional=*/true}},
      {
          {"session", FlagKind::kValue, "SESSION_ID",
           "Continue this session of yours (default: a new one)"},
          {"policy", FlagKind::kValue, "POLICY",
           "When the session has a run in progress: reject, enqueue or "
           "interrupt"},
          WaitFlagSpec(),
          NoPromptFlagSpec(),
      },
      RunComponent});
  table->commands.push_back(Command{
      {"continue"},
      "Answer a paused run's tool calls and follow it",
      absl::StrCat(
          "Name each paused tool call once, with --approve (run it with its\n"
          "stored arguments) or --reject. Without either, on a terminal you\n"
          "are asked about each one. Calls waiting for an approver are\n"
          "answered with `bastion approvals`.\n",
          kOutcomes),
      {{"RUN_ID", "The paused run's id"}},
      {
          {"approve", FlagKind::kRepeated, "CALL_ID",
           "Run this paused tool call"},
          {"reject", FlagKind::kRepeated, "CALL_ID",
           "Refuse this paused tool call"},
          WaitFlagSpec(),
          NoPromptFlagSpec(),
      },
      ContinueRun});
  table->commands.push_back(
      Command{{"cancel"},
              "Cancel one of your runs",
              "Someone else's run answers not found (exit 5).",
              {{"RUN_ID", "The run's id"}},
              {},
              CancelRun});

  table->groups.push_back({"runs", "Your runs"});
  std::vector<FlagSpec> list_flags = PageFlags();
  list_flags.insert(list_flags.end(),
                    {
                        {"session", FlagKind::kValue, "SESSION_ID",
                         "Only runs of this session"},
                        {"component-type", FlagKind::kValue, "TYPE",
                         "Only agent, team or workflow runs"},
                        {"component-id", FlagKind::kValue, "ID",
                         "Only runs of this component"},
                    });
  table->commands.push_back(Command{{"runs", "list"},
                                    "List your runs, newest first",
                                    "",
                                    {},
                                    list_flags,
                                    ListRuns});
  table->commands.push_back(
      Command{{"runs", "show"},
              "Show one run with the tool calls it waits for",
              "Someone else's run answers not found (exit 5).",
              {{"RUN_ID", "The run's id"}},
              {},
              ShowRun});
  table->commands.push_back(Command{
      {"runs", "stream"},
      "Follow a run's events again (stored ones, then live ones)",
      kOutcomes,
      {{"RUN_ID", "The run's id"}},
      {
          {"after", FlagKind::kValue, "SEQ",
           "Only events after this sequence number (default 0: all)"},
          WaitFlagSpec(),
      },
      StreamRun});
}

}  // namespace bastion::cli
