// Tests the run engine on scripted models: an agent's tool loop and its
// iteration cap, a team leader delegating to members, a workflow's steps,
// cancellation, protected tools, a recorder that fails, the events' order
// and the trace tree.
#include "services/run_executor/engine/run_engine.h"

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/run_executor/engine/engine_test_support.h"

namespace bastion::runs {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRegistry[] = R"pb(
  models {
    name: "scripted:calc"
    scripted {
      rules {
        input_contains: "add"
        tool_calls { tool_name: "calculator" arguments_json: '{"expression": "2+3"}' }
      }
      rules { after_tool: "calculator" reply: "The sum is {tool_result}" }
      rules {
        input_contains: "ghost"
        tool_calls { tool_name: "ghost" arguments_json: '{}' }
      }
      rules { after_tool: "*" reply: "after: {tool_result}" }
    }
  }
  models {
    name: "scripted:loop"
    scripted {
      rules { tool_calls { tool_name: "calculator" arguments_json: '{"expression": "1+1"}' } }
      rules {
        after_tool: "*"
        tool_calls { tool_name: "calculator" arguments_json: '{"expression": "1+1"}' }
      }
    }
  }
  models {
    name: "scripted:leader"
    scripted {
      rules {
        tool_calls { tool_name: "researcher" arguments_json: '{"input": "facts about {input}"}' }
        tool_calls { tool_name: "writer" arguments_json: '{"input": "write about {input}"}' }
      }
      rules { after_tool: "*" reply: "Team: {tool_results}" }
    }
  }
  models { name: "scripted:writer" scripted { fallback_reply: "draft: {input}" } }
  agents { agent_id: "calc" model: "scripted:calc" tools { name: "calculator" } }
  agents {
    agent_id: "guarded"
    model: "scripted:calc"
    tools { name: "calculator" requires_confirmation: true }
  }
  agents {
    agent_id: "looper"
    model: "scripted:loop"
    max_iterations: 3
    tools { name: "calculator" }
  }
  agents {
    agent_id: "filled"
    model: "scripted:loop"
    max_iterations: 3
    tools {
      name: "calculator"
      parameters_json_schema: '{"type": "object", "properties": {"expression": {"type": "string"}, "note": {"type": "string"}}, "required": ["expression", "note"]}'
      user_input_fields: "note"
    }
  }
  agents {
    agent_id: "outside"
    model: "scripted:calc"
    tools { name: "calculator" external_execution: true }
  }
  agents {
    agent_id: "audited"
    model: "scripted:calc"
    tools { name: "calculator" audit_confirmation: true }
  }
  agents { agent_id: "researcher" description: "Finds facts." model: "scripted:echo" }
  agents { agent_id: "writer" model: "scripted:writer" }
  teams {
    team_id: "desk"
    model: "scripted:leader"
    member_agent_ids: "researcher"
    member_agent_ids: "writer"
  }
  workflows {
    workflow_id: "pipeline"
    steps { name: "gather" component_type: COMPONENT_TYPE_AGENT component_id: "researcher" }
    steps { name: "draft" component_type: COMPONENT_TYPE_AGENT component_id: "writer" }
    steps { name: "redraft" component_type: COMPONENT_TYPE_AGENT component_id: "writer" }
  }
  workflows {
    workflow_id: "sums"
    steps { name: "add" component_type: COMPONENT_TYPE_AGENT component_id: "calc" }
  }
  workflows {
    workflow_id: "outer"
    steps { name: "inner" component_type: COMPONENT_TYPE_WORKFLOW component_id: "pipeline" }
    steps { name: "team" component_type: COMPONENT_TYPE_TEAM component_id: "desk" }
  }
)pb";

// A calculator stand-in that counts its calls and may cancel the run.
class CountingTool final : public Tool {
 public:
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override {
    ++calls;
    if (cancel_on_call != nullptr) *cancel_on_call = true;
    std::lock_guard<std::mutex> lock(mutex);
    arguments.push_back(invocation.arguments_json);
    return ToolOutcome{R"({"result":5})", false};
  }
  mutable std::atomic<int> calls{0};
  mutable std::mutex mutex;
  mutable std::vector<std::string> arguments;
  std::atomic<bool>* cancel_on_call = nullptr;

 private:
  const ToolDefinition definition_{"calculator", "counts", R"({"type":"object"})"};
};

class RunEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    caller_.principal.set_subject("alice");
    caller_.principal.set_tenant_id("acme");
  }

  void Build(std::shared_ptr<const Tool> calculator = nullptr) {
    std::map<std::string, std::shared_ptr<const Tool>> tools;
    if (calculator != nullptr) tools["calculator"] = std::move(calculator);
    EngineOptions options;
    options.clock = &clock_;
    options.tool_gate = &gate_;
    absl::StatusOr<EngineParts> parts =
        BuildEngine(kRegistry, std::move(tools), options);
    ASSERT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
  }

  RunOutcome Run(common::v1::ComponentType type, const std::string& id,
                 const std::string& input,
                 const Continuation* continuation = nullptr,
                 MemoryRecorder* recorder = nullptr) {
    RunRequest request;
    const FixedRunCaller caller(caller_);
    request.caller = &caller;
    request.continuation = continuation;
    request.run_id = "run-1";
    request.component_type = type;
    request.component_id = id;
    request.session_id = "session-1";
    request.input = input;
    request.cancelled = [this] { return cancelled_.load(); };
    request.recorder = recorder != nullptr ? recorder : &recorder_;
    return parts_.engine->Execute(request);
  }

  // The text of every model_output event, concatenated.
  std::string ModelText() const {
    std::string text;
    for (const v1::RunEvent& event : recorder_.events()) {
      if (event.has_model_output()) text += event.model_output().text();
    }
    return text;
  }

  const data::v1::Span* SpanNamed(const std::vector<data::v1::Span>& spans,
                                  const std::string& name) {
    for (const data::v1::Span& span : spans) {
      if (span.name() == name) return &span;
    }
    ADD_FAILURE() << "no span " << name;
    return nullptr;
  }

  // Continues the run recorded in recorder_ (paused) with one decision per
  // paused call, recording into `after`.
  RunOutcome Continue(const std::string& id, const std::string& input,
                      const std::vector<bool>& run, MemoryRecorder* after) {
    Continuation continuation;
    continuation.history = recorder_.events();
    const v1::RunPaused paused = continuation.history.back().paused();
    for (int i = 0; i < paused.requirements_size(); ++i) {
      PausedCallDecision decision;
      decision.call = paused.requirements(i);
      decision.run = run[static_cast<size_t>(i)];
      decision.refusal = "the owner refused this call";
      continuation.decisions.push_back(decision);
    }
    return Run(common::v1::COMPONENT_TYPE_AGENT, id, input, &continuation, after);
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  MapToolGate gate_;
  Caller caller_;
  EngineParts parts_;
  MemoryRecorder recorder_;
  std::atomic<bool> cancelled_{false};
};

TEST_F(RunEngineTest, AgentCallsToolsThenAnswers) {
  Build();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "calc", "please add");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(outcome.output, R"(The sum is {"result":5})");

  const std::vector<v1::RunEvent> events = recorder_.events();
  ASSERT_GE(events.size(), 5u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq(), static_cast<int64_t>(i) + 1);
  }
  EXPECT_EQ(events[0].started().component_id(), "calc");
  EXPECT_EQ(events[0].started().session_id(), "session-1");
  EXPECT_EQ(events[1].tool_call().tool_name(), "calculator");
  EXPECT_EQ(events[1].tool_call().arguments_json(), R"({"expression":"2+3"})");
  EXPECT_EQ(events[2].tool_result().tool_call_id(),
            events[1].tool_call().tool_call_id());
  EXPECT_EQ(events[2].tool_result().content(), R"({"result":5})");
  EXPECT_FALSE(events[2].tool_result().is_error());
  EXPECT_EQ(ModelText(), outcome.output);
  EXPECT_EQ(events.back().completed().output(), outcome.output);

  // The trace: the run at the root, two model calls and the tool call under
  // it.
  const std::vector<data::v1::Span> spans = recorder_.spans();
  ASSERT_EQ(spans.size(), 4u);
  const data::v1::Span* root = SpanNamed(spans, "run agent calc");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->span_id(), "run-1");
  EXPECT_EQ(root->parent_span_id(), "");
  EXPECT_EQ(root->status(), data::v1::SPAN_STATUS_OK);
  for (const data::v1::Span& span : spans) {
    EXPECT_EQ(span.trace_id(), "run-1");
    if (&span != root) {
      EXPECT_EQ(span.parent_span_id(), "run-1") << span.name();
    }
  }
  EXPECT_NE(SpanNamed(spans, "tool calculator"), nullptr);
}

TEST_F(RunEngineTest, IterationCapFailsTheRunSayingSo) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "looper", "go");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_FAILED);
  EXPECT_THAT(outcome.error, HasSubstr("agent looper made 3 model calls"));
  EXPECT_THAT(outcome.error, HasSubstr("max_iterations"));
  EXPECT_EQ(counting->calls.load(), 3);
  EXPECT_EQ(recorder_.events().back().failed().message(), outcome.error);
  EXPECT_EQ(recorder_.kinds().back(), "failed");
}

TEST_F(RunEngineTest, UnknownToolIsAnErrorResultForTheModel) {
  Build();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "calc", "ghost");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(outcome.output, "after: agent calc has no tool named ghost");
  const std::vector<v1::RunEvent> events = recorder_.events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_TRUE(events[2].tool_result().is_error());
}

TEST_F(RunEngineTest, ToolTheGateRefusesNeverRunsAndTheModelIsTold) {
  auto counting = std::make_shared<CountingTool>();
  gate_.refused = {"calculator"};
  Build(counting);
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "calc", "please add");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_THAT(outcome.output, HasSubstr("you are not allowed to use it"));
  EXPECT_EQ(counting->calls.load(), 0);
  EXPECT_EQ(gate_.checks(), 1);
  const std::vector<v1::RunEvent> events = recorder_.events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_TRUE(events[2].tool_result().is_error());
}

TEST_F(RunEngineTest, WithoutAGateNoToolRuns) {
  auto counting = std::make_shared<CountingTool>();
  std::map<std::string, std::shared_ptr<const Tool>> tools{
      {"calculator", counting}};
  absl::StatusOr<EngineParts> parts =
      BuildEngine(kRegistry, std::move(tools), EngineOptions());
  ASSERT_TRUE(parts.ok()) << parts.status();
  EngineOptions no_gate;
  RunEngine engine(parts->registry.get(), parts->models.get(),
                   parts->tools.get(), no_gate);
  const FixedRunCaller caller(caller_);
  RunRequest request;
  request.caller = &caller;
  request.run_id = "run-1";
  request.component_type = common::v1::COMPONENT_TYPE_AGENT;
  request.component_id = "calc";
  request.input = "please add";
  request.recorder = &recorder_;
  const RunOutcome outcome = engine.Execute(request);
  EXPECT_THAT(outcome.output, HasSubstr("cannot be checked"));
  EXPECT_EQ(counting->calls.load(), 0);
}

TEST_F(RunEngineTest, ConfirmationPausesAndContinueRunsTheStoredArguments) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  const RunOutcome paused =
      Run(common::v1::COMPONENT_TYPE_AGENT, "guarded", "please add");
  EXPECT_EQ(paused.status, common::v1::RUN_STATUS_PAUSED);
  EXPECT_EQ(counting->calls.load(), 0);
  ASSERT_EQ(paused.paused.size(), 1u);
  EXPECT_EQ(paused.paused[0].tool_name(), "calculator");
  EXPECT_EQ(paused.paused[0].arguments_json(), R"({"expression":"2+3"})");
  EXPECT_TRUE(paused.paused[0].requires_confirmation());
  EXPECT_FALSE(paused.paused[0].requires_approval());
  EXPECT_THAT(recorder_.kinds(), ElementsAre("started", "tool_call", "paused"));
  const v1::RunPaused event = recorder_.events().back().paused();
  ASSERT_EQ(event.requirements_size(), 1);
  EXPECT_EQ(event.requirements(0).tool_call_id(),
            recorder_.events()[1].tool_call().tool_call_id());
  EXPECT_TRUE(recorder_.approvals().empty());

  MemoryRecorder after;
  const RunOutcome continued = Continue("guarded", "please add", {true}, &after);
  EXPECT_EQ(continued.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(continued.output, R"(The sum is {"result":5})");
  ASSERT_EQ(counting->calls.load(), 1);
  EXPECT_THAT(counting->arguments, ElementsAre(R"({"expression":"2+3"})"));
  // No second started event; the paused call's result comes first.
  const std::vector<std::string> kinds = after.kinds();
  ASSERT_GE(kinds.size(), 2u);
  EXPECT_EQ(kinds.front(), "tool_result");
  EXPECT_EQ(kinds.back(), "completed");
  EXPECT_EQ(after.events()[0].tool_result().tool_call_id(),
            event.requirements(0).tool_call_id());
  // The continued part of the trace hangs under the run's root span.
  for (const data::v1::Span& span : after.spans()) {
    EXPECT_NE(span.span_id(), "s1") << span.name();
  }
  EXPECT_NE(SpanNamed(after.spans(), "continue agent guarded"), nullptr);
}

TEST_F(RunEngineTest, RefusedPausedCallNeverRunsAndTheModelIsTold) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  ASSERT_EQ(Run(common::v1::COMPONENT_TYPE_AGENT, "guarded", "please add").status,
            common::v1::RUN_STATUS_PAUSED);
  MemoryRecorder after;
  const RunOutcome continued =
      Continue("guarded", "please add", {false}, &after);
  EXPECT_EQ(continued.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(continued.output, "The sum is the owner refused this call");
  EXPECT_EQ(counting->calls.load(), 0);
  EXPECT_TRUE(after.events()[0].tool_result().is_error());
}

TEST_F(RunEngineTest, ContinuedRunCountsTheModelCallsAlreadyMade) {
  auto counting = std::make_shared<CountingTool>();
  gate_.confirm = {"calculator"};
  Build(counting);
  // looper calls the calculator after every answer; max_iterations 3.
  ASSERT_EQ(Run(common::v1::COMPONENT_TYPE_AGENT, "looper", "go").status,
            common::v1::RUN_STATUS_PAUSED);
  MemoryRecorder second;
  ASSERT_EQ(Continue("looper", "go", {true}, &second).status,
            common::v1::RUN_STATUS_PAUSED);
  EXPECT_EQ(counting->calls.load(), 1);
  std::vector<v1::RunEvent> history = recorder_.events();
  for (const v1::RunEvent& event : second.events()) history.push_back(event);
  recorder_.FailFromNowOn();
  Continuation third;
  third.history = history;
  PausedCallDecision decision;
  decision.call = history.back().paused().requirements(0);
  decision.run = true;
  third.decisions.push_back(decision);
  // The paused calls are numbered on from the stored ones.
  EXPECT_EQ(decision.call.tool_call_id(), "call-2");
  MemoryRecorder last;
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "looper", "go", &third, &last);
  ASSERT_EQ(outcome.status, common::v1::RUN_STATUS_PAUSED);
  EXPECT_EQ(outcome.paused[0].tool_call_id(), "call-3");
  MemoryRecorder fourth;
  std::vector<v1::RunEvent> all = history;
  for (const v1::RunEvent& event : last.events()) all.push_back(event);
  Continuation final_part;
  final_part.history = all;
  decision.call = all.back().paused().requirements(0);
  final_part.decisions = {decision};
  const RunOutcome capped =
      Run(common::v1::COMPONENT_TYPE_AGENT, "looper", "go", &final_part, &fourth);
  EXPECT_EQ(capped.status, common::v1::RUN_STATUS_FAILED);
  EXPECT_THAT(capped.error, HasSubstr("made 3 model calls"));
  EXPECT_EQ(counting->calls.load(), 3);
}

TEST_F(RunEngineTest, PolicyApprovalPausesWithAnApprovalRecord) {
  auto counting = std::make_shared<CountingTool>();
  gate_.approve = {"calculator"};
  Build(counting);
  const RunOutcome paused =
      Run(common::v1::COMPONENT_TYPE_AGENT, "calc", "please add");
  ASSERT_EQ(paused.status, common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.paused.size(), 1u);
  EXPECT_TRUE(paused.paused[0].requires_approval());
  EXPECT_FALSE(paused.paused[0].requires_confirmation());
  EXPECT_EQ(paused.paused[0].approval_id(), "approval-1");
  ASSERT_EQ(recorder_.approvals().size(), 1u);
  EXPECT_EQ(recorder_.approvals()[0].arguments_json(), R"({"expression":"2+3"})");
  EXPECT_EQ(counting->calls.load(), 0);
}

TEST_F(RunEngineTest, AnApprovalThatCannotBeRecordedFailsTheRun) {
  auto counting = std::make_shared<CountingTool>();
  gate_.approve = {"calculator"};
  Build(counting);
  class NoApprovals final : public RunRecorder {
   public:
    absl::Status Record(v1::RunEvent event) override {
      return inner.Record(std::move(event));
    }
    absl::Status RecordSpan(data::v1::Span span) override {
      return inner.RecordSpan(std::move(span));
    }
    absl::StatusOr<std::string> RequestApproval(const v1::ToolCall&) override {
      return absl::UnavailableError("data unavailable");
    }
    MemoryRecorder inner;
  } recorder;
  const FixedRunCaller caller(caller_);
  RunRequest request;
  request.caller = &caller;
  request.run_id = "run-1";
  request.component_type = common::v1::COMPONENT_TYPE_AGENT;
  request.component_id = "calc";
  request.input = "please add";
  request.recorder = &recorder;
  const RunOutcome outcome = parts_.engine->Execute(request);
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_FAILED);
  EXPECT_EQ(counting->calls.load(), 0);
}

TEST_F(RunEngineTest, UserInputPausesAndTheCompletedArgumentsRunAndAreShown) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  const RunOutcome paused = Run(common::v1::COMPONENT_TYPE_AGENT, "filled", "go");
  ASSERT_EQ(paused.status, common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.paused.size(), 1u);
  EXPECT_THAT(paused.paused[0].user_input_fields(), ElementsAre("note"));
  EXPECT_FALSE(paused.paused[0].requires_confirmation());
  EXPECT_FALSE(paused.paused[0].external_execution());
  EXPECT_EQ(counting->calls.load(), 0);

  // The owner's input completes the arguments: recorded as the call again,
  // then run.
  const std::string completed = R"({"expression":"1+1","note":"from alice"})";
  Continuation second;
  second.history = recorder_.events();
  PausedCallDecision decision;
  decision.call = paused.paused[0];
  decision.call.set_arguments_json(completed);
  decision.run = true;
  decision.arguments_completed = true;
  second.decisions = {decision};
  MemoryRecorder after;
  const RunOutcome continued =
      Run(common::v1::COMPONENT_TYPE_AGENT, "filled", "go", &second, &after);
  ASSERT_EQ(continued.status, common::v1::RUN_STATUS_PAUSED);
  EXPECT_THAT(counting->arguments, ElementsAre(completed));
  ASSERT_GE(after.events().size(), 2u);
  EXPECT_EQ(after.events()[0].tool_call().tool_call_id(), "call-1");
  EXPECT_EQ(after.events()[0].tool_call().arguments_json(), completed);
  EXPECT_EQ(after.events()[1].tool_result().tool_call_id(), "call-1");
  EXPECT_FALSE(after.events()[1].tool_result().is_error());

  // A later continuation reads the recorded-again call as the same call of
  // the same model reply: two model calls made so far, not three.
  std::vector<v1::RunEvent> history = recorder_.events();
  for (const v1::RunEvent& event : after.events()) history.push_back(event);
  Continuation third;
  third.history = history;
  decision.call = history.back().paused().requirements(0);
  EXPECT_EQ(decision.call.tool_call_id(), "call-2");
  decision.call.set_arguments_json(completed);
  third.decisions = {decision};
  MemoryRecorder last;
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "filled", "go", &third, &last);
  ASSERT_EQ(outcome.status, common::v1::RUN_STATUS_PAUSED) << outcome.error;
  EXPECT_EQ(outcome.paused[0].tool_call_id(), "call-3");
  EXPECT_EQ(counting->calls.load(), 2);
}

TEST_F(RunEngineTest, ACallNeedingApprovalAndUserInputIsNotMade) {
  auto counting = std::make_shared<CountingTool>();
  gate_.approve = {"calculator"};
  Build(counting);
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "filled", "go");
  // Never paused: each model call gets the refusal, up to the cap.
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_FAILED);
  EXPECT_TRUE(recorder_.approvals().empty());
  EXPECT_EQ(counting->calls.load(), 0);
  bool told = false;
  for (const v1::RunEvent& event : recorder_.events()) {
    if (event.has_tool_result()) {
      told |= event.tool_result().content().find(
                  "approved arguments cannot change") != std::string::npos;
    }
  }
  EXPECT_TRUE(told);
}

TEST_F(RunEngineTest, ExternalExecutionPausesAndTheOwnersResultIsTheResult) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  const RunOutcome paused =
      Run(common::v1::COMPONENT_TYPE_AGENT, "outside", "please add");
  ASSERT_EQ(paused.status, common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.paused.size(), 1u);
  EXPECT_TRUE(paused.paused[0].external_execution());
  EXPECT_FALSE(paused.paused[0].requires_confirmation());

  Continuation continuation;
  continuation.history = recorder_.events();
  PausedCallDecision decision;
  decision.call = paused.paused[0];
  decision.run = true;
  decision.external_result = ToolOutcome{"42", false};
  continuation.decisions = {decision};
  MemoryRecorder after;
  const RunOutcome continued = Run(common::v1::COMPONENT_TYPE_AGENT, "outside",
                                   "please add", &continuation, &after);
  EXPECT_EQ(continued.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(continued.output, "The sum is 42");
  EXPECT_EQ(after.events()[0].tool_result().content(), "42");
  // run-executor never calls it, not even the in-process tool of its name.
  EXPECT_EQ(counting->calls.load(), 0);

  // Without a result the call is not made.
  decision.external_result.reset();
  continuation.decisions = {decision};
  MemoryRecorder without;
  const RunOutcome empty = Run(common::v1::COMPONENT_TYPE_AGENT, "outside",
                               "please add", &continuation, &without);
  EXPECT_EQ(empty.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_TRUE(without.events()[0].tool_result().is_error());
  EXPECT_THAT(without.events()[0].tool_result().content(),
              HasSubstr("runs outside Bastion"));
  EXPECT_EQ(counting->calls.load(), 0);
}

TEST_F(RunEngineTest, AuditConfirmationPausesForTheOwnerUnlessApprovalIsAsked) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  const RunOutcome paused =
      Run(common::v1::COMPONENT_TYPE_AGENT, "audited", "please add");
  ASSERT_EQ(paused.status, common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.paused.size(), 1u);
  EXPECT_TRUE(paused.paused[0].audit_confirmation());
  EXPECT_TRUE(paused.paused[0].requires_confirmation());
  EXPECT_TRUE(recorder_.approvals().empty());

  // A policy's approval is the call's record: no audit beside it.
  gate_.approve = {"calculator"};
  MemoryRecorder approved;
  const RunOutcome approval = Run(common::v1::COMPONENT_TYPE_AGENT, "audited",
                                  "please add", nullptr, &approved);
  ASSERT_EQ(approval.status, common::v1::RUN_STATUS_PAUSED);
  EXPECT_TRUE(approval.paused[0].requires_approval());
  EXPECT_FALSE(approval.paused[0].audit_confirmation());
  EXPECT_EQ(counting->calls.load(), 0);
}

TEST_F(RunEngineTest, TeamMembersDoNotPauseAndNeverCallAProtectedTool) {
  auto counting = std::make_shared<CountingTool>();
  gate_.confirm = {"calculator"};
  Build(counting);
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_WORKFLOW, "sums", "please add");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_THAT(outcome.output, HasSubstr("runs of teams and workflows do not pause"));
  EXPECT_EQ(counting->calls.load(), 0);
}

TEST_F(RunEngineTest, TeamLeaderDelegatesAndComposes) {
  Build();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_TEAM, "desk", "tides");
  ASSERT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED) << outcome.error;
  EXPECT_EQ(outcome.output,
            "Team: facts about tides\ndraft: write about tides");

  std::vector<std::string> called;
  for (const v1::RunEvent& event : recorder_.events()) {
    if (event.has_tool_call()) called.push_back(event.tool_call().tool_name());
  }
  EXPECT_THAT(called, ElementsAre("researcher", "writer"));

  // Each member's model call hangs under its member span.
  const std::vector<data::v1::Span> spans = recorder_.spans();
  const data::v1::Span* writer = SpanNamed(spans, "member writer");
  const data::v1::Span* writer_model = SpanNamed(spans, "model scripted:writer");
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(writer_model, nullptr);
  EXPECT_EQ(writer->parent_span_id(), "run-1");
  EXPECT_EQ(writer_model->parent_span_id(), writer->span_id());
}

TEST_F(RunEngineTest, WorkflowPassesEachOutputToTheNextStep) {
  Build();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_WORKFLOW, "pipeline", "hello");
  ASSERT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED) << outcome.error;
  EXPECT_EQ(outcome.output, "draft: draft: hello");
  const std::vector<data::v1::Span> spans = recorder_.spans();
  for (const char* step : {"step gather", "step draft", "step redraft"}) {
    const data::v1::Span* span = SpanNamed(spans, step);
    ASSERT_NE(span, nullptr);
    EXPECT_EQ(span->parent_span_id(), "run-1");
  }
}

TEST_F(RunEngineTest, NestedWorkflowAndTeamStepsFormOneTree) {
  Build();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_WORKFLOW, "outer", "x");
  ASSERT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED) << outcome.error;
  EXPECT_EQ(outcome.output,
            "Team: facts about draft: draft: x\n"
            "draft: write about draft: draft: x");
  const std::vector<data::v1::Span> spans = recorder_.spans();
  const data::v1::Span* inner = SpanNamed(spans, "step inner");
  const data::v1::Span* gather = SpanNamed(spans, "step gather");
  ASSERT_NE(inner, nullptr);
  ASSERT_NE(gather, nullptr);
  EXPECT_EQ(gather->parent_span_id(), inner->span_id());
  std::set<std::string> ids;
  for (const data::v1::Span& span : spans) {
    EXPECT_TRUE(ids.insert(span.span_id()).second) << span.span_id();
  }
}

TEST_F(RunEngineTest, CancellationStopsTheRunWithACancelledEvent) {
  auto counting = std::make_shared<CountingTool>();
  counting->cancel_on_call = &cancelled_;
  Build(counting);
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "looper", "go");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_CANCELLED);
  EXPECT_EQ(counting->calls.load(), 1);
  EXPECT_EQ(recorder_.kinds().back(), "cancelled");
  EXPECT_EQ(recorder_.kinds().front(), "started");
}

TEST_F(RunEngineTest, AnEventThatCannotBeStoredStopsTheRun) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  recorder_.FailFromNowOn();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "looper", "go");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_FAILED);
  EXPECT_EQ(counting->calls.load(), 0);
  EXPECT_TRUE(recorder_.events().empty());
}

TEST_F(RunEngineTest, UnknownComponentFails) {
  Build();
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "nobody", "go");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_FAILED);
  EXPECT_EQ(recorder_.kinds().back(), "failed");
}

}  // namespace
}  // namespace bastion::runs
