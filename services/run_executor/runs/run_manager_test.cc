// RunManager with an in-memory data and a fake authn: a run acts for its
// owner through its delegation only (exchanged at the start, stored on the
// run, renewed when due, ended with the run); a failed exchange fails the
// start and leaves nothing running; a refused renewal fails the run; an
// enqueued run starts once the session's earlier run has ended.
#include "services/run_executor/runs/run_manager.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "services/run_executor/runs/fake_delegations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/run_executor/engine/engine_test_support.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

constexpr const char* kId = FakeDelegations::kId;

constexpr char kRegistry[] = R"pb(
  models {
    name: "scripted:calc"
    scripted {
      rules {
        input_contains: "add"
        tool_calls { tool_name: "calculator" arguments_json: '{"expression": "2+3"}' }
      }
      rules { after_tool: "calculator" reply: "The sum is {tool_result}" }
    }
  }
  agents { agent_id: "echo" model: "scripted:echo" }
  agents { agent_id: "calc" model: "scripted:calc" tools { name: "calculator" } }
  agents {
    agent_id: "noted"
    model: "scripted:calc"
    tools {
      name: "calculator"
      parameters_json_schema: '{"type": "object", "properties": {"expression": {"type": "string"}, "note": {"type": "string", "maxLength": 10}}}'
      user_input_fields: "note"
    }
  }
  agents {
    agent_id: "outside"
    model: "scripted:calc"
    tools { name: "calculator" external_execution: true max_result_bytes: 100 }
  }
  agents {
    agent_id: "audited"
    model: "scripted:calc"
    tools { name: "calculator" audit_confirmation: true }
  }
)pb";

// Runs, sessions and events of one tenant, kept as data keeps them (by
// owner), recording the assertion each call carried. Thread-safe.
class MemoryRunData final : public RunData {
 public:
  absl::StatusOr<data::v1::Session> GetSession(
      const Caller& caller, const data::v1::GetSessionRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "GetSession");
    auto it = sessions_.find(request.session_id());
    if (it == sessions_.end() ||
        it->second.user_id() != caller.principal.subject()) {
      return absl::NotFoundError("session not found");
    }
    return it->second;
  }
  absl::StatusOr<data::v1::Session> CreateSession(
      const Caller& caller,
      const data::v1::CreateSessionRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "CreateSession");
    data::v1::Session session;
    session.set_session_id(absl::StrCat("s-", sessions_.size() + 1));
    session.set_user_id(caller.principal.subject());
    session.set_tenant_id(caller.principal.tenant_id());
    session.set_component_type(request.component_type());
    session.set_component_id(request.component_id());
    sessions_[session.session_id()] = session;
    return session;
  }
  absl::StatusOr<data::v1::RunRecord> CreateRun(
      const Caller& caller, const data::v1::CreateRunRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "CreateRun");
    data::v1::RunRecord& run = runs_[request.run_id()].run;
    run.set_run_id(request.run_id());
    run.set_session_id(request.session_id());
    run.set_component_type(request.component_type());
    run.set_component_id(request.component_id());
    run.set_user_id(caller.principal.subject());
    run.set_tenant_id(caller.principal.tenant_id());
    run.set_status(request.status());
    run.set_delegation_id(request.delegation_id());
    run.set_created_at_unix_micros(++time_);
    run.set_updated_at_unix_micros(absl::ToUnixMicros(absl::Now()));
    return run;
  }
  absl::StatusOr<data::v1::GetRunResponse> GetRun(
      const Caller& caller, const data::v1::GetRunRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "GetRun");
    Stored* stored = Find(caller, request.run_id());
    if (stored == nullptr) return absl::NotFoundError("run not found");
    data::v1::GetRunResponse response;
    *response.mutable_run() = stored->run;
    if (request.include_events()) {
      for (const data::v1::RunEventRecord& event : stored->events) {
        if (event.seq() > request.events_after_seq()) {
          *response.add_events() = event;
        }
      }
    }
    return response;
  }
  absl::StatusOr<data::v1::ListRunsResponse> ListRuns(
      const Caller& caller, const data::v1::ListRunsRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "ListRuns");
    data::v1::ListRunsResponse response;
    for (const auto& [id, stored] : runs_) {
      if (stored.run.user_id() != caller.principal.subject()) continue;
      if (!request.session_id().empty() &&
          stored.run.session_id() != request.session_id()) {
        continue;
      }
      if (request.status() != common::v1::RUN_STATUS_UNSPECIFIED &&
          stored.run.status() != request.status()) {
        continue;
      }
      *response.add_runs() = stored.run;
    }
    return response;
  }
  absl::StatusOr<data::v1::RunRecord> UpdateRun(
      const Caller& caller, const data::v1::UpdateRunRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "UpdateRun");
    Stored* stored = Find(caller, request.run_id());
    if (stored == nullptr) return absl::NotFoundError("run not found");
    data::v1::RunRecord& run = stored->run;
    if (request.expected_status() != common::v1::RUN_STATUS_UNSPECIFIED &&
        request.expected_status() != run.status()) {
      return absl::FailedPreconditionError("run is not in the expected status");
    }
    if (request.only_when_session_idle()) {
      for (const auto& [id, other] : runs_) {
        if (id != run.run_id() && other.run.session_id() == run.session_id() &&
            other.run.created_at_unix_micros() < run.created_at_unix_micros() &&
            (other.run.status() == common::v1::RUN_STATUS_RUNNING ||
             other.run.status() == common::v1::RUN_STATUS_PENDING)) {
          return absl::FailedPreconditionError(
              "the run's session has an earlier run in progress");
        }
      }
    }
    if (request.status() != common::v1::RUN_STATUS_UNSPECIFIED) {
      run.set_status(request.status());
    }
    if (request.update_error()) run.set_error(request.error());
    if (request.update_output()) run.set_output(request.output());
    if (request.update_delegation_id()) {
      run.set_delegation_id(request.delegation_id());
    }
    if (request.update_paused_tool_calls()) {
      *run.mutable_paused_tool_calls() = request.paused_tool_calls();
    }
    if (request.request_cancel()) run.set_cancel_requested(true);
    run.set_updated_at_unix_micros(absl::ToUnixMicros(absl::Now()));
    return run;
  }
  absl::StatusOr<data::v1::AppendRunEventsResponse> AppendRunEvents(
      const Caller& caller,
      const data::v1::AppendRunEventsRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "AppendRunEvents");
    Stored* stored = Find(caller, request.run_id());
    if (stored == nullptr) return absl::NotFoundError("run not found");
    for (const data::v1::RunEventRecord& event : request.events()) {
      if (event.type() == unavailable_for_type_ && unavailable_times_ > 0) {
        --unavailable_times_;
        return absl::UnavailableError("data unavailable");
      }
    }
    if (request.has_end()) {
      // The end and its events together, or nothing.
      const data::v1::RunEnd& end = request.end();
      data::v1::RunRecord& run = stored->run;
      if (end.expected_status() != run.status()) {
        return absl::FailedPreconditionError("run is not in the expected status");
      }
      run.set_status(end.status());
      if (end.status() == common::v1::RUN_STATUS_COMPLETED) {
        run.set_output(end.output());
      }
      if (end.status() == common::v1::RUN_STATUS_FAILED) {
        run.set_error(end.error());
      }
      if (end.status() == common::v1::RUN_STATUS_PAUSED) {
        *run.mutable_paused_tool_calls() = end.paused_tool_calls();
      }
      run.set_updated_at_unix_micros(absl::ToUnixMicros(absl::Now()));
    }
    data::v1::AppendRunEventsResponse response;
    for (data::v1::RunEventRecord event : request.events()) {
      event.set_run_id(request.run_id());
      event.set_seq(static_cast<int64_t>(stored->events.size()) + 1);
      stored->events.push_back(event);
      *response.add_events() = event;
    }
    return response;
  }
  void AppendRunEventsAsync(const Caller& caller,
                            data::v1::AppendRunEventsRequest request,
                            AppendDone done) override {
    done(AppendRunEvents(caller, request));
  }
  absl::Status AppendSpans(const Caller& caller,
                           const data::v1::AppendSpansRequest&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "AppendSpans");
    return absl::OkStatus();
  }

  absl::StatusOr<data::v1::Approval> CreateApproval(
      const Caller& caller,
      const data::v1::CreateApprovalRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "CreateApproval");
    if (!fail_approvals_.ok()) return fail_approvals_;
    if (Find(caller, request.run_id()) == nullptr) {
      return absl::NotFoundError("run not found");
    }
    data::v1::Approval& approval =
        approvals_[absl::StrCat("apr-", approvals_.size() + 1)];
    approval.set_approval_id(absl::StrCat("apr-", approvals_.size()));
    approval.set_run_id(request.run_id());
    approval.set_tool_call_id(request.tool_call_id());
    approval.set_tool_name(request.tool_name());
    approval.set_args_sha256(request.args_sha256());
    approval.set_arguments_json(request.arguments_json());
    approval.set_requester_user_id(caller.principal.subject());
    approval.set_status(data::v1::APPROVAL_STATUS_PENDING);
    approval.set_kind(data::v1::APPROVAL_KIND_APPROVAL);
    if (request.kind() == data::v1::APPROVAL_KIND_AUDIT) {
      approval.set_kind(data::v1::APPROVAL_KIND_AUDIT);
      approval.set_resolver_user_id(caller.principal.subject());
      approval.set_status(request.audit_decision() ==
                                  data::v1::APPROVAL_DECISION_APPROVE
                              ? data::v1::APPROVAL_STATUS_APPROVED
                              : data::v1::APPROVAL_STATUS_REJECTED);
    }
    return approval;
  }
  absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller& caller,
      const data::v1::GetApprovalRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    Seen(caller, "GetApproval");
    auto it = approvals_.find(request.approval_id());
    if (it == approvals_.end() ||
        it->second.requester_user_id() != caller.principal.subject()) {
      return absl::NotFoundError("approval not found");
    }
    return it->second;
  }

  // Every approval made, in id order.
  std::vector<data::v1::Approval> Approvals() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<data::v1::Approval> all;
    for (const auto& [id, approval] : approvals_) all.push_back(approval);
    return all;
  }
  // CreateApproval answers `status` from now on (OK: as usual).
  void FailApprovals(absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_approvals_ = std::move(status);
  }
  // The tool_call events of a run, as stored.
  std::vector<std::string> ToolCallPayloads(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> payloads;
    for (const data::v1::RunEventRecord& event : runs_[id].events) {
      if (event.type() == "tool_call") payloads.push_back(event.payload_json());
    }
    return payloads;
  }

  // The next `times` appends of an event of `type` answer UNAVAILABLE.
  void UnavailableFor(const std::string& type, int times) {
    std::lock_guard<std::mutex> lock(mutex_);
    unavailable_for_type_ = type;
    unavailable_times_ = times;
  }
  // Resolves an approval as an approver would.
  void Resolve(const std::string& approval_id, data::v1::ApprovalStatus status) {
    std::lock_guard<std::mutex> lock(mutex_);
    approvals_[approval_id].set_status(status);
  }
  absl::StatusOr<data::v1::RunRecord> Run(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = runs_.find(id);
    if (it == runs_.end()) return absl::NotFoundError("run not found");
    return it->second.run;
  }
  std::vector<std::string> EventTypes(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> types;
    for (const data::v1::RunEventRecord& event : runs_[id].events) {
      types.push_back(event.type());
    }
    return types;
  }
  // "Method assertion" of every call, in order.
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }

 private:
  struct Stored {
    data::v1::RunRecord run;
    std::vector<data::v1::RunEventRecord> events;
  };
  Stored* Find(const Caller& caller, const std::string& id) {
    auto it = runs_.find(id);
    if (it == runs_.end() ||
        it->second.run.user_id() != caller.principal.subject()) {
      return nullptr;
    }
    return &it->second;
  }
  void Seen(const Caller& caller, const char* method) {
    calls_.push_back(absl::StrCat(method, " ", caller.assertion));
  }

  std::mutex mutex_;
  std::map<std::string, data::v1::Session> sessions_;
  std::map<std::string, Stored> runs_;
  std::map<std::string, data::v1::Approval> approvals_;
  std::string unavailable_for_type_;
  int unavailable_times_ = 0;
  std::vector<std::string> calls_;
  absl::Status fail_approvals_;
  int64_t time_ = 0;
};

// The calculator stand-in: each call runs `on_call` first.
class HookTool final : public Tool {
 public:
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override {
    if (on_call) on_call();
    std::lock_guard<std::mutex> lock(mutex_);
    arguments_.push_back(invocation.arguments_json);
    return ToolOutcome{"5", false};
  }
  std::vector<std::string> arguments() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return arguments_;
  }
  std::function<void()> on_call;

 private:
  const ToolDefinition definition_{"calculator", "adds", R"({"type":"object"})"};
  mutable std::mutex mutex_;
  mutable std::vector<std::string> arguments_;
};

class RunManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = std::make_shared<HookTool>();
    absl::StatusOr<EngineParts> parts =
        BuildEngine(kRegistry, {{"calculator", tool_}}, EngineOptions{});
    ASSERT_THAT(parts, IsOk());
    parts_ = *std::move(parts);
    alice_.principal.set_subject("alice");
    alice_.principal.set_tenant_id("acme");
    alice_.assertion = "alice-assertion";
  }

  void Build(RunsOptions options = {}) {
    options.clock = &clock_;
    options.poll_interval = absl::Milliseconds(5);
    manager_ = std::make_unique<RunManager>(parts_.registry.get(),
                                            parts_.engine.get(), &data_,
                                            &authn_, options);
  }

  absl::StatusOr<std::string> Start(const std::string& agent,
                                    const std::string& input,
                                    const std::string& session = "",
                                    v1::SessionPolicy policy =
                                        v1::SESSION_POLICY_UNSPECIFIED) {
    RunManager::StartRequest request;
    request.component_type = common::v1::COMPONENT_TYPE_AGENT;
    request.component_id = agent;
    request.input = input;
    request.session_id = session;
    request.session_policy = policy;
    return manager_->Start(alice_, request);
  }

  // The run once it ended (or as it stands after 10 s).
  data::v1::RunRecord Ended(const std::string& run_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (true) {
      absl::StatusOr<data::v1::RunRecord> run = data_.Run(run_id);
      if (!run.ok()) return {};
      const common::v1::RunStatus status = run->status();
      const bool ended = status == common::v1::RUN_STATUS_COMPLETED ||
                         status == common::v1::RUN_STATUS_FAILED ||
                         status == common::v1::RUN_STATUS_CANCELLED;
      if ((ended && !authn_.ended().empty()) || absl::Now() > deadline) {
        return *run;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  // The run once it paused (or as it stands after 10 s).
  data::v1::RunRecord Paused(const std::string& run_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (true) {
      absl::StatusOr<data::v1::RunRecord> run = data_.Run(run_id);
      if (!run.ok()) return {};
      if ((run->status() == common::v1::RUN_STATUS_PAUSED &&
           !authn_.ended().empty()) ||
          absl::Now() > deadline) {
        return *run;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  // Paused() of a run that must pause on its one tool call (a fatal
  // failure otherwise).
  void PausedOnItsToolCall(const std::string& run_id,
                           data::v1::RunRecord* paused) {
    *paused = Paused(run_id);
    ASSERT_EQ(paused->status(), common::v1::RUN_STATUS_PAUSED);
    ASSERT_EQ(paused->paused_tool_calls_size(), 1);
  }

  absl::StatusOr<int64_t> Continue(const Caller& caller,
                                   const data::v1::RunRecord& run,
                                   bool confirmed) {
    v1::ContinueRunRequest request;
    request.set_run_id(run.run_id());
    request.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    request.set_component_id(run.component_id());
    for (const data::v1::PausedToolCall& call : run.paused_tool_calls()) {
      v1::ToolDecision* decision = request.add_decisions();
      decision->set_tool_call_id(call.tool_call_id());
      decision->set_confirmed(confirmed);
    }
    return manager_->Continue(caller, request);
  }

  // Continues with one confirmed decision for the run's first paused call,
  // changed by `edit`.
  absl::StatusOr<int64_t> ContinueWith(
      const data::v1::RunRecord& run,
      const std::function<void(v1::ToolDecision*)>& edit) {
    v1::ContinueRunRequest request;
    request.set_run_id(run.run_id());
    request.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    request.set_component_id(run.component_id());
    v1::ToolDecision* decision = request.add_decisions();
    decision->set_tool_call_id(run.paused_tool_calls(0).tool_call_id());
    decision->set_confirmed(true);
    edit(decision);
    return manager_->Continue(alice_, request);
  }

  // The run once it completed (or as it stands after 10 s).
  data::v1::RunRecord Completed(const std::string& run_id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (data_.Run(run_id)->status() != common::v1::RUN_STATUS_COMPLETED &&
           absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return *data_.Run(run_id);
  }

  // Every event Follow writes from after `after_seq` until it returns.
  std::vector<v1::RunEvent> Followed(const std::string& run_id,
                                     int64_t after_seq) {
    std::vector<v1::RunEvent> events;
    EXPECT_THAT(manager_->Follow(
                    alice_, run_id, after_seq,
                    [&events](const v1::RunEvent& event) {
                      events.push_back(event);
                      return true;
                    },
                    [] { return false; }),
                IsOk());
    return events;
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::shared_ptr<HookTool> tool_;
  EngineParts parts_;
  MemoryRunData data_;
  FakeDelegations authn_{&clock_};
  Caller alice_;
  // Declared last: its runs end before the rest goes away.
  std::unique_ptr<RunManager> manager_;
};

TEST_F(RunManagerTest, ARunActsThroughItsDelegationAndEndsIt) {
  Build();
  absl::StatusOr<std::string> run_id = Start("echo", "hello there");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord run = Ended(*run_id);
  EXPECT_EQ(run.status(), common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(run.output(), "hello there");
  EXPECT_EQ(run.delegation_id(), kId);
  EXPECT_THAT(authn_.exchanged(),
              ::testing::ElementsAre("alice-assertion for " + *run_id));
  EXPECT_THAT(authn_.ended(), ::testing::ElementsAre(kId));

  // The caller's own assertion made the session and the run, nothing else.
  const std::vector<std::string> calls = data_.calls();
  ASSERT_GE(calls.size(), 4u);
  EXPECT_EQ(calls[0], "CreateSession alice-assertion");
  EXPECT_EQ(calls[1], "CreateRun alice-assertion");
  for (size_t i = 2; i < calls.size(); ++i) {
    EXPECT_TRUE(absl::EndsWith(calls[i], " delegation-1")) << calls[i];
  }
  EXPECT_EQ(data_.EventTypes(*run_id).back(), "completed");
}

TEST_F(RunManagerTest, AShortDataOutageAtTheEndLeavesNoRunWithoutItsFinalEvent) {
  Build();
  data_.UnavailableFor("completed", 3);
  absl::StatusOr<std::string> run_id = Start("echo", "hello there");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord run = Ended(*run_id);
  EXPECT_EQ(run.status(), common::v1::RUN_STATUS_COMPLETED);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (data_.EventTypes(*run_id).back() != "completed" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(data_.EventTypes(*run_id).back(), "completed");
}

TEST_F(RunManagerTest, ExchangeFailureFailsTheStartAndLeavesNothingRunning) {
  Build();
  authn_.FailExchange(absl::UnavailableError("authn unavailable"));
  absl::StatusOr<std::string> run_id = Start("echo", "hello");
  EXPECT_THAT(run_id, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(run_id.status().message()), HasSubstr("authn"));

  // Refused before anything was written: no session, no run.
  for (const std::string& call : data_.calls()) {
    EXPECT_FALSE(absl::StartsWith(call, "CreateRun")) << call;
    EXPECT_FALSE(absl::StartsWith(call, "CreateSession")) << call;
  }
  data::v1::ListRunsRequest list;
  absl::StatusOr<data::v1::ListRunsResponse> runs = data_.ListRuns(alice_, list);
  ASSERT_THAT(runs, IsOk());
  EXPECT_EQ(runs->runs_size(), 0);
  EXPECT_TRUE(authn_.ended().empty());

  // A refusal is passed on as authn answered it.
  authn_.FailExchange(absl::PermissionDeniedError("not a holder"));
  EXPECT_THAT(Start("echo", "hello"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RunManagerTest, RenewsWhenDueAndUsesTheRenewedDelegation) {
  RunsOptions options;
  options.delegation_check_interval = absl::Seconds(5);
  Build(options);
  // The tool's call takes (fake) time: the next step finds the delegation
  // unconfirmed for longer than the check interval.
  tool_->on_call = [this] { clock_.Advance(absl::Seconds(6)); };
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord run = Ended(*run_id);
  EXPECT_EQ(run.status(), common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(run.output(), "The sum is 5");
  EXPECT_GE(authn_.renewals().size(), 1u);
  const std::vector<std::string> calls = data_.calls();
  EXPECT_TRUE(absl::EndsWith(calls.back(), " delegation-2")) << calls.back();
}

TEST_F(RunManagerTest, ARefusedRenewalFailsTheRunSayingWhy) {
  Build();
  tool_->on_call = [this] {
    authn_.FailRenewal(absl::FailedPreconditionError(
        "the credential the delegation came from is revoked or expired"));
    clock_.Advance(absl::Seconds(6));
  };
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord run = Ended(*run_id);
  EXPECT_EQ(run.status(), common::v1::RUN_STATUS_FAILED);
  EXPECT_THAT(run.error(), HasSubstr("can no longer act for its user"));
  EXPECT_THAT(run.error(), HasSubstr("revoked"));
  EXPECT_EQ(data_.EventTypes(*run_id).back(), "failed");
  EXPECT_THAT(authn_.ended(), ::testing::ElementsAre(kId));
}

TEST_F(RunManagerTest, AnEnqueuedRunStartsAfterTheEarlierOneEnded) {
  Build();
  // The first run blocks in its tool until released.
  std::mutex mutex;
  bool release = false;
  tool_->on_call = [&] {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (release) return;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  absl::StatusOr<std::string> first = Start("calc", "add them");
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<data::v1::RunRecord> stored = data_.Run(*first);
  ASSERT_THAT(stored, IsOk());
  const std::string session = stored->session_id();

  EXPECT_THAT(Start("calc", "add again", session),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<std::string> queued =
      Start("calc", "add again", session, v1::SESSION_POLICY_ENQUEUE);
  ASSERT_THAT(queued, IsOk());
  absl::SleepFor(absl::Milliseconds(50));
  absl::StatusOr<data::v1::RunRecord> waiting = data_.Run(*queued);
  ASSERT_THAT(waiting, IsOk());
  EXPECT_EQ(waiting->status(), common::v1::RUN_STATUS_PENDING);

  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (data_.Run(*queued)->status() != common::v1::RUN_STATUS_COMPLETED &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(data_.Run(*first)->status(), common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(data_.Run(*queued)->status(), common::v1::RUN_STATUS_COMPLETED);
}

TEST_F(RunManagerTest, AContinuedRunActsThroughAFreshDelegationOfItsOwner) {
  parts_.gate->confirm.insert("calculator");
  Build();
  int calls = 0;
  tool_->on_call = [&calls] { ++calls; };
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  data::v1::RunRecord paused;
  ASSERT_NO_FATAL_FAILURE(PausedOnItsToolCall(*run_id, &paused));
  // The pause ended the start's delegation: nothing acts for alice while
  // the run waits.
  EXPECT_THAT(authn_.ended(), ::testing::ElementsAre(kId));
  EXPECT_EQ(calls, 0);

  // Someone else's run looks missing.
  Caller bob;
  bob.principal.set_subject("bob");
  bob.principal.set_tenant_id("acme");
  bob.assertion = "bob-assertion";
  EXPECT_THAT(Continue(bob, paused, true),
              StatusIs(absl::StatusCode::kNotFound));

  alice_.assertion = "alice-later-assertion";
  ASSERT_THAT(Continue(alice_, paused, true), IsOk());
  // A second continue of the same pause loses.
  EXPECT_THAT(Continue(alice_, paused, true),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((data_.Run(*run_id)->status() != common::v1::RUN_STATUS_COMPLETED ||
          authn_.ended().size() < 2) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const data::v1::RunRecord run = *data_.Run(*run_id);
  EXPECT_EQ(run.status(), common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(run.output(), "The sum is 5");
  EXPECT_EQ(calls, 1);
  // The continuing owner's assertion was exchanged for the rest of the run,
  // and that delegation ended with it.
  EXPECT_THAT(authn_.exchanged(),
              ::testing::ElementsAre("alice-assertion for " + *run_id,
                                     "alice-later-assertion for " + *run_id));
  EXPECT_THAT(authn_.ended(), ::testing::ElementsAre(kId, kId));
  const std::vector<std::string> seen = data_.calls();
  EXPECT_TRUE(absl::EndsWith(seen.back(), " delegation-2")) << seen.back();
}

TEST_F(RunManagerTest, AFailedExchangeLeavesTheRunPausedForAnotherTry) {
  parts_.gate->confirm.insert("calculator");
  Build();
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);

  authn_.FailExchange(absl::UnavailableError("authn unavailable"));
  EXPECT_THAT(Continue(alice_, paused, true),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(data_.Run(*run_id)->status(), common::v1::RUN_STATUS_PAUSED);

  authn_.FailExchange(absl::OkStatus());
  EXPECT_THAT(Continue(alice_, paused, false), IsOk());
  EXPECT_EQ(Ended(*run_id).status(), common::v1::RUN_STATUS_COMPLETED);
}

TEST_F(RunManagerTest, AnApprovalCallWaitsForItsApproverAndRunsOnceApproved) {
  parts_.gate->approve.insert("calculator");
  Build();
  int calls = 0;
  tool_->on_call = [&calls] { ++calls; };
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  data::v1::RunRecord paused;
  ASSERT_NO_FATAL_FAILURE(PausedOnItsToolCall(*run_id, &paused));
  const std::string approval_id = paused.paused_tool_calls(0).approval_id();
  ASSERT_FALSE(approval_id.empty());

  // Pending: the owner's confirmation alone does not move the run.
  absl::StatusOr<int64_t> early = Continue(alice_, paused, true);
  EXPECT_THAT(early, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(early.status().message()),
              HasSubstr("waits for approval"));
  EXPECT_EQ(data_.Run(*run_id)->status(), common::v1::RUN_STATUS_PAUSED);

  data_.Resolve(approval_id, data::v1::APPROVAL_STATUS_APPROVED);
  ASSERT_THAT(Continue(alice_, paused, true), IsOk());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (data_.Run(*run_id)->status() != common::v1::RUN_STATUS_COMPLETED &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(data_.Run(*run_id)->output(), "The sum is 5");
  EXPECT_EQ(calls, 1);
}

TEST_F(RunManagerTest, UserInputCompletesTheStoredArgumentsOrTheRunStaysPaused) {
  Build();
  absl::StatusOr<std::string> run_id = Start("noted", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.paused_tool_calls_size(), 1);
  EXPECT_THAT(paused.paused_tool_calls(0).user_input_fields(),
              ::testing::ElementsAre("note"));

  struct Bad {
    const char* input;
    absl::StatusCode code;
    const char* message;
  };
  const Bad bad[] = {
      {"", absl::StatusCode::kFailedPrecondition,
       "needs user_input_json with its fields: note"},
      {"{\"note\": ", absl::StatusCode::kInvalidArgument, "not valid JSON"},
      {"[\"hi\"]", absl::StatusCode::kInvalidArgument, "must be a JSON object"},
      {"{}", absl::StatusCode::kFailedPrecondition,
       "needs user input field \"note\""},
      {"{\"note\": \"hi\", \"expression\": \"9*9\"}",
       absl::StatusCode::kFailedPrecondition,
       "takes no user input field \"expression\""},
      {"{\"note\": 5}", absl::StatusCode::kFailedPrecondition,
       "expected string"},
      {"{\"note\": \"far too long for it\"}",
       absl::StatusCode::kFailedPrecondition, "note"},
  };
  for (const Bad& b : bad) {
    absl::StatusOr<int64_t> continued = ContinueWith(
        paused, [&](v1::ToolDecision* d) { d->set_user_input_json(b.input); });
    EXPECT_THAT(continued, StatusIs(b.code)) << b.input;
    EXPECT_THAT(std::string(continued.status().message()), HasSubstr(b.message))
        << b.input;
  }
  const std::string huge = "{\"note\": \"" + std::string(70000, 'x') + "\"}";
  EXPECT_THAT(ContinueWith(paused, [&](v1::ToolDecision* d) {
                d->set_user_input_json(huge);
              }),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Nothing else may come with it, and a refusal takes no input.
  EXPECT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_user_input_json("{\"note\": \"hi\"}");
                             d->set_external_result("7");
                           }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_confirmed(false);
                             d->set_user_input_json("{\"note\": \"hi\"}");
                           }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(data_.Run(*run_id)->status(), common::v1::RUN_STATUS_PAUSED);
  EXPECT_TRUE(tool_->arguments().empty());

  ASSERT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_user_input_json("{\"note\": \"hi\"}");
                           }),
              IsOk());
  const data::v1::RunRecord run = Completed(*run_id);
  EXPECT_EQ(run.output(), "The sum is 5");
  EXPECT_THAT(tool_->arguments(),
              ::testing::ElementsAre(R"({"expression":"2+3","note":"hi"})"));
  // The call as the model asked it, then as it ran.
  const std::vector<std::string> calls = data_.ToolCallPayloads(*run_id);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_THAT(calls[0], ::testing::Not(HasSubstr("note")));
  EXPECT_THAT(calls[1], HasSubstr("note"));
}

TEST_F(RunManagerTest, AnExternalCallTakesTheOwnersResultBoundToIt) {
  Build();
  absl::StatusOr<std::string> run_id = Start("outside", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.paused_tool_calls_size(), 1);
  EXPECT_TRUE(paused.paused_tool_calls(0).external_execution());

  absl::StatusOr<int64_t> missing = ContinueWith(paused, [](v1::ToolDecision*) {});
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("continue with its external_result"));
  absl::StatusOr<int64_t> large = ContinueWith(paused, [](v1::ToolDecision* d) {
    d->set_external_result(std::string(101, '7'));
  });
  EXPECT_THAT(large, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(large.status().message()),
              HasSubstr("more than its limit of 100"));
  EXPECT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_external_result("7");
                             d->set_user_input_json("{}");
                           }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A result for any other call is refused.
  EXPECT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_tool_call_id("call-99");
                             d->set_external_result("7");
                           }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(data_.Run(*run_id)->status(), common::v1::RUN_STATUS_PAUSED);

  ASSERT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_external_result("7");
                           }),
              IsOk());
  EXPECT_EQ(Completed(*run_id).output(), "The sum is 7");
  EXPECT_TRUE(tool_->arguments().empty());
}

TEST_F(RunManagerTest, AResultForACallRunExecutorRunsIsRefused) {
  parts_.gate->confirm.insert("calculator");
  Build();
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);
  absl::StatusOr<int64_t> continued = ContinueWith(
      paused, [](v1::ToolDecision* d) { d->set_external_result("7"); });
  EXPECT_THAT(continued, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(continued.status().message()),
              HasSubstr("takes no external result"));
  EXPECT_THAT(ContinueWith(paused,
                           [](v1::ToolDecision* d) {
                             d->set_user_input_json("{\"note\": \"hi\"}");
                           }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(data_.Run(*run_id)->status(), common::v1::RUN_STATUS_PAUSED);

  ASSERT_THAT(ContinueWith(paused, [](v1::ToolDecision*) {}), IsOk());
  EXPECT_EQ(Completed(*run_id).output(), "The sum is 5");
}

TEST_F(RunManagerTest, AnAuditedDecisionIsRecordedAsAnApprovalByTheOwner) {
  Build();
  absl::StatusOr<std::string> run_id = Start("audited", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);
  EXPECT_TRUE(paused.paused_tool_calls(0).audit_confirmation());
  EXPECT_TRUE(data_.Approvals().empty());

  ASSERT_THAT(Continue(alice_, paused, true), IsOk());
  EXPECT_EQ(Completed(*run_id).output(), "The sum is 5");
  std::vector<data::v1::Approval> approvals = data_.Approvals();
  ASSERT_EQ(approvals.size(), 1u);
  EXPECT_EQ(approvals[0].kind(), data::v1::APPROVAL_KIND_AUDIT);
  EXPECT_EQ(approvals[0].status(), data::v1::APPROVAL_STATUS_APPROVED);
  EXPECT_EQ(approvals[0].requester_user_id(), "alice");
  EXPECT_EQ(approvals[0].resolver_user_id(), "alice");
  EXPECT_EQ(approvals[0].run_id(), *run_id);
  EXPECT_EQ(approvals[0].tool_call_id(),
            paused.paused_tool_calls(0).tool_call_id());
  EXPECT_EQ(approvals[0].arguments_json(), R"({"expression":"2+3"})");
  EXPECT_EQ(tool_->arguments().size(), 1u);

  // A refusal is recorded too.
  absl::StatusOr<std::string> second = Start("audited", "add them");
  ASSERT_THAT(second, IsOk());
  // Paused once its start's delegation (the third) has ended.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (authn_.ended().size() < 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_THAT(Continue(alice_, Paused(*second), false), IsOk());
  Completed(*second);
  approvals = data_.Approvals();
  ASSERT_EQ(approvals.size(), 2u);
  EXPECT_EQ(approvals[1].status(), data::v1::APPROVAL_STATUS_REJECTED);
  EXPECT_EQ(approvals[1].resolver_user_id(), "alice");
  EXPECT_EQ(tool_->arguments().size(), 1u);
}

TEST_F(RunManagerTest, AnAuditedCallWhoseRecordFailsDoesNotRun) {
  Build();
  absl::StatusOr<std::string> run_id = Start("audited", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);
  data_.FailApprovals(absl::UnavailableError("data unavailable"));
  ASSERT_THAT(Continue(alice_, paused, true), IsOk());
  EXPECT_EQ(Completed(*run_id).output(),
            "The sum is the owner's confirmation of this call of calculator "
            "could not be recorded; it was not called");
  EXPECT_TRUE(tool_->arguments().empty());
}

TEST_F(RunManagerTest, StartAndFollowStreamsTheRunWithoutReadingItBack) {
  Build();
  RunManager::StartRequest request;
  request.component_type = common::v1::COMPONENT_TYPE_AGENT;
  request.component_id = "echo";
  request.input = "one two three";
  std::vector<v1::RunEvent> events;
  ASSERT_THAT(manager_->StartAndFollow(
                  alice_, request,
                  [&events](const v1::RunEvent& event) {
                    events.push_back(event);
                    return true;
                  },
                  [] { return false; }),
              IsOk());
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.front().has_started());
  EXPECT_TRUE(events.back().has_completed());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq(), static_cast<int64_t>(i + 1));
  }
  // Every event came from the run itself: data was never read back.
  for (const std::string& call : data_.calls()) {
    EXPECT_FALSE(absl::StartsWith(call, "GetRun")) << call;
  }
  // And the stored events are the streamed ones.
  EXPECT_EQ(Followed(events.front().run_id(), 0).size(), events.size());
}

TEST_F(RunManagerTest, FollowingAContinuedRunFromItsStartGoesPastItsPause) {
  parts_.gate->confirm.insert("calculator");
  Build();
  absl::StatusOr<std::string> run_id = Start("calc", "add them");
  ASSERT_THAT(run_id, IsOk());
  const data::v1::RunRecord paused = Paused(*run_id);
  ASSERT_EQ(paused.status(), common::v1::RUN_STATUS_PAUSED);
  // While the run waits, its stream ends at the pause.
  std::vector<v1::RunEvent> events = Followed(*run_id, 0);
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events.back().has_paused());
  const int64_t paused_seq = events.back().seq();

  ASSERT_THAT(Continue(alice_, paused, true), IsOk());
  ASSERT_EQ(Ended(*run_id).status(), common::v1::RUN_STATUS_COMPLETED);
  // Once continued, the stored pause is passed: every event, in order, to
  // the end of the run, from the start and from before the pause alike.
  for (const int64_t after : {int64_t{0}, paused_seq - 1}) {
    events = Followed(*run_id, after);
    ASSERT_FALSE(events.empty()) << after;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].seq(), after + 1 + static_cast<int64_t>(i));
    }
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [](const v1::RunEvent& event) {
                              return event.has_paused();
                            }),
              1);
    EXPECT_TRUE(events.back().has_completed()) << after;
    EXPECT_EQ(events.back().completed().output(), "The sum is 5");
  }
}

}  // namespace
}  // namespace bastion::runs
