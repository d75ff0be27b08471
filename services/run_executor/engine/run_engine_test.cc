// Tests the run engine on scripted models: an agent's tool loop and its
// iteration cap, a team leader delegating to members, a workflow's steps,
// cancellation, protected tools, a recorder that fails, the events' order
// and the trace tree.
#include "services/run_executor/engine/run_engine.h"

#include <atomic>
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
    (void)invocation;
    return ToolOutcome{R"({"result":5})", false};
  }
  mutable std::atomic<int> calls{0};
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
    absl::StatusOr<EngineParts> parts =
        BuildEngine(kRegistry, std::move(tools), options);
    ASSERT_TRUE(parts.ok()) << parts.status();
    parts_ = *std::move(parts);
  }

  RunOutcome Run(common::v1::ComponentType type, const std::string& id,
                 const std::string& input) {
    RunRequest request;
    const FixedRunCaller caller(caller_);
    request.caller = &caller;
    request.run_id = "run-1";
    request.component_type = type;
    request.component_id = id;
    request.session_id = "session-1";
    request.input = input;
    request.cancelled = [this] { return cancelled_.load(); };
    request.recorder = &recorder_;
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

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
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

TEST_F(RunEngineTest, ProtectedToolIsNeverCalled) {
  auto counting = std::make_shared<CountingTool>();
  Build(counting);
  const RunOutcome outcome =
      Run(common::v1::COMPONENT_TYPE_AGENT, "guarded", "please add");
  EXPECT_EQ(outcome.status, common::v1::RUN_STATUS_COMPLETED);
  EXPECT_THAT(outcome.output, HasSubstr("needs confirmation or approval"));
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
