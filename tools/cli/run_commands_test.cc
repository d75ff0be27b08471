// The run-engine commands (run, continue, cancel, runs, approvals,
// schedules) against in-process fakes of run-executor's Runs, Approvals and
// Schedules that record what they were sent and answer from a script: the
// requests the commands build, how a followed run is shown, the exit code
// for each way a run ends, pauses answered on a terminal, and usage errors.
#include <grpcpp/grpcpp.h>

#include <google/protobuf/text_format.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/cli.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace runs = bastion::runs::v1;

constexpr char kToken[] = "good.token.sig";

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

std::vector<runs::RunEvent> Events(const std::vector<std::string>& texts) {
  std::vector<runs::RunEvent> events;
  for (const std::string& text : texts)
    events.push_back(Parse<runs::RunEvent>(text));
  return events;
}

const std::vector<std::string> kCompleting = {
    R"pb(run_id: "r1" seq: 1 started { component_type: COMPONENT_TYPE_AGENT component_id: "echo" session_id: "s1" })pb",
    R"pb(run_id: "r1" seq: 2 model_output { text: "echo: hi" })pb",
    R"pb(run_id: "r1" seq: 3 completed { output: "echo: hi" })pb",
};

const std::vector<std::string> kPausing = {
    R"pb(run_id: "r1" seq: 1 started { component_type: COMPONENT_TYPE_AGENT component_id: "ops" session_id: "s1" })pb",
    R"pb(run_id: "r1" seq: 2 tool_call { tool_call_id: "c1" tool_name: "delete_file" arguments_json: "{}" requires_confirmation: true })pb",
    R"pb(run_id: "r1" seq: 3 paused { requirements { tool_call_id: "c1" tool_name: "delete_file" arguments_json: "{}" requires_confirmation: true } })pb",
};

const std::vector<std::string> kAfterConfirm = {
    R"pb(run_id: "r1" seq: 4 tool_result { tool_call_id: "c1" content: "deleted" })pb",
    R"pb(run_id: "r1" seq: 5 completed { output: "done" })pb",
};

// Runs as far as the commands use it. Every method records its request;
// the streaming ones play `events` (RunAgent, RunTeam, RunWorkflow,
// StreamRun) or `continued` (ContinueRun). Runs other than `run` answer
// NOT_FOUND, as someone else's do.
class FakeRuns final : public runs::Runs::Service {
 public:
  grpc::Status RunAgent(grpc::ServerContext* context,
                        const runs::RunAgentRequest* request,
                        grpc::ServerWriter<runs::RunEvent>* writer) override {
    Record(context, *request);
    return Play(events, writer);
  }
  grpc::Status RunTeam(grpc::ServerContext* context,
                       const runs::RunTeamRequest* request,
                       grpc::ServerWriter<runs::RunEvent>* writer) override {
    Record(context, *request);
    return Play(events, writer);
  }
  grpc::Status RunWorkflow(
      grpc::ServerContext* context, const runs::RunWorkflowRequest* request,
      grpc::ServerWriter<runs::RunEvent>* writer) override {
    Record(context, *request);
    return Play(events, writer);
  }
  grpc::Status ContinueRun(
      grpc::ServerContext* context, const runs::ContinueRunRequest* request,
      grpc::ServerWriter<runs::RunEvent>* writer) override {
    Record(context, *request);
    if (request->run_id() != run.run_id()) return NotFound();
    return Play(continued, writer);
  }
  grpc::Status CancelRun(grpc::ServerContext* context,
                         const runs::CancelRunRequest* request,
                         runs::CancelRunResponse* response) override {
    Record(context, *request);
    if (request->run_id() != run.run_id()) return NotFound();
    *response->mutable_run() = run;
    response->mutable_run()->set_status(common::v1::RUN_STATUS_CANCELLED);
    return grpc::Status::OK;
  }
  grpc::Status GetRun(grpc::ServerContext* context,
                      const runs::GetRunRequest* request,
                      runs::Run* response) override {
    Record(context, *request);
    if (request->run_id() != run.run_id()) return NotFound();
    *response = run;
    return grpc::Status::OK;
  }
  grpc::Status ListRuns(grpc::ServerContext* context,
                        const runs::ListRunsRequest* request,
                        runs::ListRunsResponse* response) override {
    Record(context, *request);
    *response->add_runs() = run;
    return grpc::Status::OK;
  }
  grpc::Status StreamRun(grpc::ServerContext* context,
                         const runs::StreamRunRequest* request,
                         grpc::ServerWriter<runs::RunEvent>* writer) override {
    Record(context, *request);
    if (request->run_id() != run.run_id()) return NotFound();
    std::vector<runs::RunEvent> after;
    for (const runs::RunEvent& event : events) {
      if (event.seq() > request->after_seq()) after.push_back(event);
    }
    return Play(after, writer);
  }

  // The requests received, as text protos, in order.
  std::vector<std::string> Requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }
  std::vector<std::string> Authorizations() {
    std::lock_guard<std::mutex> lock(mutex_);
    return authorizations_;
  }

  std::vector<runs::RunEvent> events;
  std::vector<runs::RunEvent> continued;
  runs::Run run = Parse<runs::Run>(
      R"pb(run_id: "r1" component_type: COMPONENT_TYPE_AGENT component_id: "ops"
           session_id: "s1" status: RUN_STATUS_PAUSED
           pending_tool_calls { tool_call_id: "c1" tool_name: "delete_file" arguments_json: "{}" requires_confirmation: true })pb");

 private:
  static grpc::Status NotFound() {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "run not found");
  }
  static grpc::Status Play(const std::vector<runs::RunEvent>& script,
                           grpc::ServerWriter<runs::RunEvent>* writer) {
    for (const runs::RunEvent& event : script) writer->Write(event);
    return grpc::Status::OK;
  }
  void Record(grpc::ServerContext* context,
              const google::protobuf::Message& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string text;
    google::protobuf::TextFormat::Printer printer;
    printer.SetSingleLineMode(true);
    printer.PrintToString(request, &text);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    requests_.push_back(request.GetDescriptor()->name() + " " + text);
    auto range = context->client_metadata().equal_range("authorization");
    for (auto it = range.first; it != range.second; ++it)
      authorizations_.emplace_back(it->second.data(), it->second.size());
  }

  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<std::string> authorizations_;
};

class FakeApprovals final : public runs::Approvals::Service {
 public:
  grpc::Status ListApprovals(grpc::ServerContext*,
                             const runs::ListApprovalsRequest* request,
                             runs::ListApprovalsResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    listed_status = request->status();
    *response->add_approvals() = approval;
    return grpc::Status::OK;
  }
  grpc::Status GetApproval(grpc::ServerContext*,
                           const runs::GetApprovalRequest* request,
                           runs::Approval* response) override {
    if (request->approval_id() != approval.approval_id())
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "approval not found");
    *response = approval;
    return grpc::Status::OK;
  }
  grpc::Status ResolveApproval(grpc::ServerContext*,
                               const runs::ResolveApprovalRequest* request,
                               runs::Approval* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (request->approval_id() != approval.approval_id())
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "approval not found");
    resolved.push_back(request->approve());
    *response = approval;
    response->set_status(request->approve() ? runs::APPROVAL_STATUS_APPROVED
                                            : runs::APPROVAL_STATUS_REJECTED);
    return grpc::Status::OK;
  }

  std::mutex mutex;
  runs::ApprovalStatus listed_status = runs::APPROVAL_STATUS_UNSPECIFIED;
  std::vector<bool> resolved;
  runs::Approval approval = Parse<runs::Approval>(
      R"pb(approval_id: "a9" run_id: "r1" tool_call_id: "c3" tool_name: "wire_money"
           arguments_json: "{\"amount\":5}" requester: "alice" tenant_id: "t1"
           status: APPROVAL_STATUS_PENDING)pb");
};

class FakeSchedules final : public runs::Schedules::Service {
 public:
  grpc::Status CreateSchedule(grpc::ServerContext*,
                              const runs::CreateScheduleRequest* request,
                              runs::Schedule* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    created = request->schedule();
    *response = request->schedule();
    response->set_schedule_id("sch1");
    return grpc::Status::OK;
  }
  grpc::Status TriggerSchedule(grpc::ServerContext*,
                               const runs::TriggerScheduleRequest* request,
                               runs::TriggerScheduleResponse* response) override {
    if (request->schedule_id() != "sch1")
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "schedule not found");
    response->set_run_id("r7");
    return grpc::Status::OK;
  }
  grpc::Status DeleteSchedule(grpc::ServerContext*,
                              const runs::DeleteScheduleRequest* request,
                              runs::DeleteScheduleResponse*) override {
    std::lock_guard<std::mutex> lock(mutex);
    deleted.push_back(request->schedule_id());
    return grpc::Status::OK;
  }
  // ListSchedules and GetSchedule stay UNIMPLEMENTED, as the base answers.

  std::mutex mutex;
  runs::Schedule created;
  std::vector<std::string> deleted;
};

class RunCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&runs_);
    builder.RegisterService(&approvals_);
    builder.RegisterService(&schedules_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    terminal_.env["BASTION_TOKEN"] = kToken;
  }
  void TearDown() override { server_->Shutdown(); }

  int Run(std::vector<std::string> args, const std::string& input = "") {
    out_.str("");
    err_.str("");
    in_.str(input);
    in_.clear();
    terminal_.out = &out_;
    terminal_.err = &err_;
    terminal_.in = &in_;
    args.insert(args.begin(),
                {"--runs-addr", "127.0.0.1:" + std::to_string(port_),
                 "--authn-addr", "127.0.0.1:1", "--data-addr", "127.0.0.1:1",
                 "--timeout", "5s"});
    return RunCli(args, terminal_);
  }

  std::vector<nlohmann::json> JsonLines() const {
    std::vector<nlohmann::json> lines;
    std::istringstream stream(out_.str());
    std::string line;
    while (std::getline(stream, line))
      lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  FakeRuns runs_;
  FakeApprovals approvals_;
  FakeSchedules schedules_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  Terminal terminal_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::istringstream in_;
};

TEST_F(RunCommandsTest, RunAgentSendsTheRequestAndShowsTheRunUntilItCompletes) {
  runs_.events = Events(kCompleting);
  EXPECT_EQ(Run({"run", "agent", "echo", "hi", "--session", "s1", "--policy",
                 "enqueue"}),
            kExitOk)
      << err_.str();
  EXPECT_EQ(out_.str(),
            "▶ Run r1 of agent/echo in session s1\necho: hi\n✓ Completed\n");
  EXPECT_EQ(err_.str(), "");
  ASSERT_EQ(runs_.Requests().size(), 1u);
  EXPECT_EQ(runs_.Requests()[0],
            "RunAgentRequest agent_id: \"echo\" input: \"hi\" session_id: "
            "\"s1\" session_policy: SESSION_POLICY_ENQUEUE");
  EXPECT_EQ(runs_.Authorizations()[0], std::string("Bearer ") + kToken);
}

TEST_F(RunCommandsTest, TeamsAndWorkflowsRunThroughTheirOwnCalls) {
  runs_.events = Events(kCompleting);
  EXPECT_EQ(Run({"run", "team", "crew", "go"}), kExitOk);
  EXPECT_EQ(Run({"run", "workflow", "flow", "go", "--policy", "interrupt"}),
            kExitOk);
  ASSERT_EQ(runs_.Requests().size(), 2u);
  EXPECT_EQ(runs_.Requests()[0], "RunTeamRequest team_id: \"crew\" input: \"go\"");
  EXPECT_EQ(runs_.Requests()[1],
            "RunWorkflowRequest workflow_id: \"flow\" input: \"go\" "
            "session_policy: SESSION_POLICY_INTERRUPT");
}

TEST_F(RunCommandsTest, WithoutAnInputArgumentStandardInputIsTheInput) {
  runs_.events = Events(kCompleting);
  EXPECT_EQ(Run({"run", "agent", "echo"}, "from a pipe\n"), kExitOk);
  EXPECT_EQ(runs_.Requests()[0],
            "RunAgentRequest agent_id: \"echo\" input: \"from a pipe\"");
  EXPECT_EQ(Run({"run", "agent", "echo"}, std::string(64 * 1024 + 1, 'x')),
            kExitUsage);
  terminal_.in_is_tty = true;
  EXPECT_EQ(Run({"run", "agent", "echo"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("missing INPUT"));
  EXPECT_EQ(runs_.Requests().size(), 1u);
}

TEST_F(RunCommandsTest, WithJsonEveryEventIsOneLineOfProtobufJson) {
  runs_.events = Events(kCompleting);
  EXPECT_EQ(Run({"--json", "run", "agent", "echo", "hi"}), kExitOk);
  const std::vector<nlohmann::json> lines = JsonLines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["started"]["sessionId"], "s1");
  EXPECT_EQ(lines[1]["modelOutput"]["text"], "echo: hi");
  EXPECT_EQ(lines[2]["completed"]["output"], "echo: hi");
}

TEST_F(RunCommandsTest, TheExitCodeSaysHowTheRunEnded) {
  runs_.events = Events({kCompleting[0], R"pb(run_id: "r1" seq: 2 failed { message: "model unavailable" })pb"});
  EXPECT_EQ(Run({"run", "agent", "echo", "hi"}), kExitRunFailed);
  EXPECT_THAT(out_.str(), HasSubstr("✗ Failed: model unavailable"));
  EXPECT_EQ(err_.str(), "");  // the events said it; no error line repeats it
  runs_.events = Events({kCompleting[0], R"pb(run_id: "r1" seq: 2 cancelled { cancelled_by: "alice" })pb"});
  EXPECT_EQ(Run({"run", "agent", "echo", "hi"}), kExitRunCancelled);
  runs_.events = Events(kPausing);
  EXPECT_EQ(Run({"run", "agent", "ops", "tidy up"}), kExitRunPaused);
  EXPECT_THAT(out_.str(), HasSubstr("bastion continue r1 --approve c1"));
  runs_.events = Events({kCompleting[0]});  // the stream stops early
  EXPECT_EQ(Run({"run", "agent", "echo", "hi"}), kExitUnavailable);
  EXPECT_THAT(err_.str(), HasSubstr("bastion runs stream r1 --after 1"));
}

TEST_F(RunCommandsTest, OnATerminalAPauseIsAskedAndTheAnswerContinuesTheRun) {
  runs_.events = Events(kPausing);
  runs_.continued = Events(kAfterConfirm);
  terminal_.in_is_tty = true;
  terminal_.out_is_tty = true;
  terminal_.env["NO_COLOR"] = "1";
  EXPECT_EQ(Run({"run", "agent", "ops", "tidy up"}, "maybe\ny\n"), kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("? Run delete_file {} (c1)? [y/n] "));
  EXPECT_THAT(out_.str(), HasSubstr("Please answer y or n."));
  EXPECT_THAT(out_.str(), HasSubstr("← delete_file: deleted"));
  EXPECT_THAT(out_.str(), HasSubstr("✓ Completed"));
  ASSERT_EQ(runs_.Requests().size(), 2u);
  EXPECT_EQ(runs_.Requests()[1],
            "ContinueRunRequest run_id: \"r1\" component_type: "
            "COMPONENT_TYPE_AGENT component_id: \"ops\" decisions { "
            "tool_call_id: \"c1\" confirmed: true }");
  // --no-prompt stops at the pause; so does the end of the input.
  EXPECT_EQ(Run({"run", "agent", "ops", "x", "--no-prompt"}), kExitRunPaused);
  EXPECT_EQ(Run({"run", "agent", "ops", "x"}, ""), kExitRunPaused);
  EXPECT_THAT(out_.str(), HasSubstr("No answer; the run stays paused."));
  EXPECT_EQ(runs_.Requests().size(), 4u);
}

TEST_F(RunCommandsTest, ContinueSendsOneDecisionPerNamedCallForTheRunsComponent) {
  runs_.continued = Events(kAfterConfirm);
  EXPECT_EQ(Run({"continue", "r1", "--approve", "c1", "--reject", "c2"}),
            kExitOk)
      << err_.str();
  const std::vector<std::string> requests = runs_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0], "GetRunRequest run_id: \"r1\"");
  EXPECT_EQ(requests[1],
            "ContinueRunRequest run_id: \"r1\" component_type: "
            "COMPONENT_TYPE_AGENT component_id: \"ops\" decisions { "
            "tool_call_id: \"c1\" confirmed: true } decisions { tool_call_id: "
            "\"c2\" }");
  EXPECT_THAT(out_.str(), HasSubstr("✓ Completed"));
}

TEST_F(RunCommandsTest, ContinueRefusesAmbiguousOrMissingDecisions) {
  EXPECT_EQ(Run({"continue", "r1", "--approve", "c1", "--reject", "c1"}),
            kExitUsage);
  EXPECT_EQ(Run({"continue", "r1"}), kExitUsage);  // no terminal to ask on
  EXPECT_THAT(err_.str(), HasSubstr("--approve CALL_ID"));
  EXPECT_TRUE(runs_.Requests().empty());
}

TEST_F(RunCommandsTest, ContinueOnATerminalAsksAboutEachPendingCall) {
  runs_.continued = Events(kAfterConfirm);
  terminal_.in_is_tty = true;
  terminal_.out_is_tty = true;
  EXPECT_EQ(Run({"continue", "r1"}, "n\n"), kExitOk) << err_.str();
  EXPECT_THAT(runs_.Requests().back(),
              HasSubstr("decisions { tool_call_id: \"c1\" }"));
  EXPECT_EQ(Run({"continue", "r1"}, ""), kExitRunPaused);
  EXPECT_THAT(out_.str(), HasSubstr("No answer; the run stays paused."));
  EXPECT_EQ(runs_.Requests().back(), "GetRunRequest run_id: \"r1\"");
  runs_.run.mutable_pending_tool_calls(0)->set_requires_approval(true);
  EXPECT_EQ(Run({"continue", "r1"}, "y\n"), kExitInvalid);
  EXPECT_THAT(err_.str(), HasSubstr("waits for an approver"));
}

TEST_F(RunCommandsTest, SomeoneElsesRunIsNotFoundForEveryRunCommand) {
  for (std::vector<std::string> line :
       {std::vector<std::string>{"continue", "r-other", "--approve", "c1"},
        {"cancel", "r-other"},
        {"runs", "show", "r-other"},
        {"runs", "stream", "r-other"}}) {
    EXPECT_EQ(Run(line), kExitNotFound) << line[0];
    EXPECT_THAT(err_.str(), HasSubstr("not found"));
  }
}

TEST_F(RunCommandsTest, CancelNamesTheRunsComponent) {
  EXPECT_EQ(Run({"cancel", "r1"}), kExitOk) << err_.str();
  EXPECT_EQ(runs_.Requests().back(),
            "CancelRunRequest run_id: \"r1\" component_type: "
            "COMPONENT_TYPE_AGENT component_id: \"ops\"");
  EXPECT_THAT(out_.str(), HasSubstr("Cancelled run r1 (now cancelled)."));
}

TEST_F(RunCommandsTest, RunsListShowAndStream) {
  EXPECT_EQ(Run({"runs", "list", "--session", "s1", "--component-type",
                 "agent", "--limit", "5"}),
            kExitOk);
  EXPECT_EQ(runs_.Requests().back(),
            "ListRunsRequest session_id: \"s1\" component_type: "
            "COMPONENT_TYPE_AGENT page { limit: 5 }");
  EXPECT_THAT(out_.str(), HasSubstr("agent/ops"));
  EXPECT_THAT(out_.str(), HasSubstr("paused"));
  EXPECT_EQ(Run({"runs", "show", "r1"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Waiting for a decision on:"));
  EXPECT_THAT(out_.str(), HasSubstr("delete_file"));
  runs_.events = Events(kCompleting);
  EXPECT_EQ(Run({"runs", "stream", "r1", "--after", "2"}), kExitOk);
  EXPECT_EQ(runs_.Requests().back(),
            "StreamRunRequest run_id: \"r1\" after_seq: 2");
  // Only the last event is replayed: the output it carries is shown.
  EXPECT_EQ(out_.str(), "echo: hi\n✓ Completed\n");
  EXPECT_EQ(Run({"runs", "stream", "r1", "--after", "-1"}), kExitUsage);
}

TEST_F(RunCommandsTest, MalformedRunLinesAreUsageErrors) {
  EXPECT_EQ(Run({"run", "robot", "echo", "hi"}), kExitUsage);
  EXPECT_EQ(Run({"run", "agent"}), kExitUsage);
  EXPECT_EQ(Run({"run", "agent", "echo", "hi", "--policy", "queue"}),
            kExitUsage);
  EXPECT_EQ(Run({"run", "agent", "echo", "hi", "--wait", "0s"}), kExitUsage);
  EXPECT_TRUE(runs_.Requests().empty());
}

TEST_F(RunCommandsTest, ApprovalsListShowApproveAndReject) {
  EXPECT_EQ(Run({"approvals", "list", "--status", "pending"}), kExitOk);
  EXPECT_EQ(approvals_.listed_status, runs::APPROVAL_STATUS_PENDING);
  EXPECT_THAT(out_.str(), HasSubstr("wire_money"));
  EXPECT_EQ(Run({"approvals", "list", "--status", "maybe"}), kExitUsage);
  EXPECT_EQ(Run({"approvals", "show", "a9"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("{\"amount\":5}"));
  EXPECT_EQ(Run({"approvals", "approve", "a9"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("Approved wire_money for run r1"));
  EXPECT_EQ(Run({"approvals", "reject", "a9", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["status"],
            "APPROVAL_STATUS_REJECTED");
  EXPECT_EQ(approvals_.resolved, (std::vector<bool>{true, false}));
  EXPECT_EQ(Run({"approvals", "approve", "a-other"}), kExitNotFound);
  // The kind tells an approver's approval from an owner's audited
  // confirmation.
  EXPECT_EQ(Run({"approvals", "show", "a9"}), kExitOk);
  EXPECT_THAT(out_.str(), ::testing::ContainsRegex("Kind: +approval"));
  approvals_.approval.set_kind(runs::APPROVAL_KIND_AUDIT);
  EXPECT_EQ(Run({"approvals", "list"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("audit"));
}

TEST_F(RunCommandsTest, SchedulesCreateTriggerDeleteAndUnimplementedCalls) {
  EXPECT_EQ(Run({"schedules", "create", "--cron", "0 9 * * 1-5",
                 "--component-type", "agent", "--component-id", "echo",
                 "--input", "daily", "--name", "morning"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Created schedule sch1."));
  EXPECT_EQ(schedules_.created.cron(), "0 9 * * 1-5");
  EXPECT_EQ(schedules_.created.component_type(),
            common::v1::COMPONENT_TYPE_AGENT);
  EXPECT_EQ(schedules_.created.input(), "daily");
  EXPECT_TRUE(schedules_.created.enabled());
  EXPECT_EQ(Run({"schedules", "create", "--cron", "0 9 * *",
                 "--component-type", "agent", "--component-id", "echo"}),
            kExitUsage);
  EXPECT_EQ(Run({"schedules", "create", "--cron", "0 9 * * 1\x1b",
                 "--component-type", "agent", "--component-id", "echo"}),
            kExitUsage);
  EXPECT_EQ(Run({"schedules", "create", "--cron", "* * * * *"}), kExitUsage);
  EXPECT_EQ(Run({"schedules", "trigger", "sch1"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("bastion runs stream r7"));
  EXPECT_EQ(Run({"schedules", "trigger", "other"}), kExitNotFound);
  EXPECT_EQ(Run({"schedules", "delete", "sch1"}), kExitOk);
  EXPECT_EQ(schedules_.deleted, (std::vector<std::string>{"sch1"}));
  EXPECT_EQ(Run({"schedules", "list"}), kExitUnimplemented);
  EXPECT_EQ(Run({"schedules", "show", "sch1"}), kExitUnimplemented);
}

}  // namespace
}  // namespace bastion::cli
