// Tests the Toolbox: what each agent's model is offered, and that every
// call, however the model or the tool misbehaves (bad arguments, hangs,
// throws, floods), comes back as a result within the tool's time limit.
// External tools run against a real in-process ToolService.
#include "services/run_executor/tools/toolbox.h"

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "bastion/runs/v1/runs_config.pb.h"
#include "services/run_executor/tools/fake_tool_service.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// An in-process tool whose behaviour a test sets. Counts its calls.
class ScriptedTool final : public Tool {
 public:
  enum class Mode {
    kAnswer,             // content `answer`; writes scratch["seen"]
    kHangUntilCancelled, // polls its invocation's `cancelled`
    kIgnoreCancel,       // waits for `release`, whatever happens
    kThrow,
    kFailStatus,
  };
  explicit ScriptedTool(Mode mode) : mode_(mode) {}

  const ToolDefinition& definition() const override { return definition_; }

  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override {
    ++calls;
    {
      std::lock_guard<std::mutex> lock(mutex);
      last_arguments = invocation.arguments_json;
    }
    switch (mode_) {
      case Mode::kAnswer:
        if (invocation.scratch != nullptr) {
          (*invocation.scratch)["seen"] = invocation.tool_call_id;
        }
        return ToolOutcome{answer, false};
      case Mode::kHangUntilCancelled:
        while (!invocation.cancelled()) absl::SleepFor(absl::Milliseconds(2));
        saw_cancel = true;
        return absl::CancelledError("stopped");
      case Mode::kIgnoreCancel:
        release.WaitForNotification();
        if (invocation.scratch != nullptr) {
          (*invocation.scratch)["seen"] = "written after the timeout";
        }
        finished = true;
        return ToolOutcome{"too late", false};
      case Mode::kThrow:
        throw std::runtime_error("secret internal state");
      case Mode::kFailStatus:
        return absl::UnavailableError("the lookup service is down");
    }
    return ToolOutcome{};
  }

  std::string LastArguments() const {
    std::lock_guard<std::mutex> lock(mutex);
    return last_arguments;
  }

  mutable std::atomic<int> calls{0};
  mutable std::mutex mutex;
  mutable std::string last_arguments;  // guarded by mutex
  mutable std::atomic<bool> saw_cancel{false};
  mutable std::atomic<bool> finished{false};
  mutable absl::Notification release;
  std::string answer = R"({"ok":true})";

 private:
  const Mode mode_;
  const ToolDefinition definition_{"scripted", "A scripted test tool.",
                                   R"({"type": "object", "properties":
                                       {"n": {"type": "integer"}}})"};
};

// Runs one of an agent's tools as the engine does (guarded tools always
// answer OK).
ToolOutcome Call(const Toolbox& toolbox, absl::string_view agent_id,
                 absl::string_view tool_name, const ToolInvocation& invocation) {
  const Tool* tool = toolbox.Find(agent_id, tool_name);
  EXPECT_NE(tool, nullptr) << tool_name;
  if (tool == nullptr) return ToolOutcome{};
  absl::StatusOr<ToolOutcome> outcome = tool->Invoke(invocation);
  EXPECT_THAT(outcome, IsOk());
  return outcome.value_or(ToolOutcome{});
}

std::map<std::string, v1::Agent> Agents(const std::string& text) {
  v1::Registry registry;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &registry))
      << text;
  std::map<std::string, v1::Agent> agents;
  for (const v1::Agent& agent : registry.agents()) {
    agents[agent.agent_id()] = agent;
  }
  return agents;
}

class ToolboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Caller alice;
    alice.principal.set_subject("alice");
    alice.assertion = "assertion-of-alice";
    alice_.emplace(std::move(alice));
  }

  ToolInvocation Invocation(const std::string& arguments_json) {
    ToolInvocation invocation;
    invocation.caller = &*alice_;
    invocation.run_id = "run-1";
    invocation.tool_call_id = "call-1";
    invocation.arguments_json = arguments_json;
    invocation.scratch = &scratch_;
    invocation.cancelled = [this] { return cancelled_.load(); };
    return invocation;
  }

  // A Toolbox with one agent "a" whose "calculator" is `tool`.
  std::unique_ptr<Toolbox> WithTool(std::shared_ptr<const Tool> tool,
                                    const std::string& spec_fields = "",
                                    int max_in_process_calls = 256) {
    ToolboxOptions options;
    options.in_process_tools["calculator"] = std::move(tool);
    options.max_in_process_calls = max_in_process_calls;
    absl::StatusOr<std::unique_ptr<Toolbox>> toolbox = Toolbox::Create(
        Agents("agents { agent_id: 'a' tools { name: 'calculator' " +
               spec_fields + " } }"),
        std::move(options));
    EXPECT_THAT(toolbox, IsOk());
    return toolbox.ok() ? *std::move(toolbox) : nullptr;
  }

  std::optional<FixedRunCaller> alice_;
  RunScratch scratch_;
  std::atomic<bool> cancelled_{false};
};

TEST_F(ToolboxTest, OffersEachAgentItsTools) {
  FakeClock clock(absl::FromUnixSeconds(0));
  ToolboxOptions options;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<Toolbox>> toolbox = Toolbox::Create(
      Agents(R"pb(
        agents {
          agent_id: "a"
          tools { name: "current_time" }
          tools {
            name: "calculator"
            description: "Adds up invoices."
            parameters_json_schema: '{"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}'
          }
        }
        agents { agent_id: "b" tools { name: "calculator" requires_confirmation: true } }
        agents { agent_id: "c" }
      )pb"),
      std::move(options));
  ASSERT_THAT(toolbox, IsOk());
  const std::vector<ToolDefinition> a = (*toolbox)->Definitions("a");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].name, "current_time");
  EXPECT_THAT(a[0].description, HasSubstr("current date and time"));
  EXPECT_THAT(a[0].parameters_json_schema, HasSubstr("timezone"));
  EXPECT_EQ(a[1].name, "calculator");
  EXPECT_EQ(a[1].description, "Adds up invoices.");
  EXPECT_EQ(a[1].parameters_json_schema,
            R"({"properties":{"expression":{"type":"string"}},)"
            R"("required":["expression"],"type":"object"})");
  EXPECT_TRUE((*toolbox)->Definitions("c").empty());
  EXPECT_TRUE((*toolbox)->Definitions("unknown").empty());

}

TEST_F(ToolboxTest, BindsEachSpecToOneGuardedTool) {
  const std::map<std::string, v1::Agent> agents = Agents(R"pb(
    agents { agent_id: "a" tools { name: "calculator" } }
    agents { agent_id: "b" tools { name: "calculator" } tools { name: "current_time" } }
    agents { agent_id: "c" tools { name: "calculator" timeout_ms: 5 } }
  )pb");
  absl::StatusOr<std::unique_ptr<Toolbox>> toolbox =
      Toolbox::Create(agents, ToolboxOptions{});
  ASSERT_THAT(toolbox, IsOk());
  const v1::ToolSpec& a_calculator = agents.at("a").tools(0);
  absl::StatusOr<const Tool*> bound = (*toolbox)->ToolFor("a", a_calculator);
  ASSERT_THAT(bound, IsOk());
  EXPECT_EQ(*bound, (*toolbox)->Find("a", "calculator"));
  // The same spec elsewhere shares the tool; a different one does not.
  EXPECT_EQ(*bound, (*toolbox)->Find("b", "calculator"));
  EXPECT_NE(*bound, (*toolbox)->Find("c", "calculator"));
  v1::ToolSpec other = a_calculator;
  other.set_max_result_bytes(7);
  EXPECT_THAT((*toolbox)->ToolFor("a", other),
              StatusIs(absl::StatusCode::kNotFound));
  // A spec of another agent is not this agent's.
  EXPECT_THAT((*toolbox)->ToolFor("a", agents.at("b").tools(1)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT((*toolbox)->ToolFor("nobody", a_calculator),
              StatusIs(absl::StatusCode::kNotFound));
  // A model only reaches its own agent's tools.
  EXPECT_EQ((*toolbox)->Find("a", "current_time"), nullptr);
  EXPECT_EQ((*toolbox)->Find("x", "calculator"), nullptr);
}

TEST_F(ToolboxTest, RunsBuiltinsForTheirAgentOnly) {
  FakeClock clock(absl::FromUnixSeconds(1719829800));
  ToolboxOptions options;
  options.clock = &clock;
  absl::StatusOr<std::unique_ptr<Toolbox>> toolbox = Toolbox::Create(
      Agents(R"pb(
        agents { agent_id: "a" tools { name: "calculator" } }
        agents { agent_id: "b" tools { name: "current_time" } }
      )pb"),
      std::move(options));
  ASSERT_THAT(toolbox, IsOk());
  ToolOutcome outcome = Call(**toolbox, 
      "a", "calculator", Invocation(R"({"expression": "6 * 7"})"));
  EXPECT_FALSE(outcome.is_error);
  EXPECT_EQ(outcome.content, R"({"result":42})");
  outcome = Call(**toolbox, "b", "current_time", Invocation(""));
  EXPECT_FALSE(outcome.is_error) << outcome.content;
  EXPECT_THAT(outcome.content, HasSubstr("2024-07-01T10:30:00Z"));

}

TEST_F(ToolboxTest, ArgumentsBreakingTheSchemaNeverReachTheTool) {
  auto tool = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kAnswer);
  std::unique_ptr<Toolbox> toolbox = WithTool(tool);
  for (const char* arguments :
       {R"({"n": "7"})", R"({"n": 1.5})", "[1]", "{", "null", "\"n\""}) {
    ToolOutcome outcome =
        Call(*toolbox, "a", "calculator", Invocation(arguments));
    EXPECT_TRUE(outcome.is_error) << arguments;
    EXPECT_THAT(outcome.content,
                HasSubstr("invalid arguments for tool \"calculator\""))
        << arguments;
  }
  EXPECT_EQ(tool->calls.load(), 0);

  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation(R"({"n": 7})"));
  EXPECT_FALSE(outcome.is_error);
  EXPECT_EQ(tool->LastArguments(), R"({"n": 7})");
  // Empty arguments reach the tool as an empty object.
  outcome = Call(*toolbox, "a", "calculator", Invocation(""));
  EXPECT_FALSE(outcome.is_error);
  EXPECT_EQ(tool->LastArguments(), "{}");
}

TEST_F(ToolboxTest, TheSpecsSchemaIsTheOneChecked) {
  auto tool = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kAnswer);
  std::unique_ptr<Toolbox> toolbox = WithTool(
      tool, R"(parameters_json_schema: '{"type": "object", "required": ["q"]}')");
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation(R"({"n": 1})"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_THAT(outcome.content, HasSubstr("missing required property \"q\""));
  EXPECT_EQ(tool->calls.load(), 0);
}

TEST_F(ToolboxTest, AHungToolTimesOutPromptlyAndIsTold) {
  auto tool =
      std::make_shared<ScriptedTool>(ScriptedTool::Mode::kHangUntilCancelled);
  std::unique_ptr<Toolbox> toolbox = WithTool(tool, "timeout_ms: 200");
  const absl::Time start = absl::Now();
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation("{}"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content, "tool \"calculator\" did not finish within 200 ms");
  // The abandoned call sees its cancellation and ends on its own.
  for (int i = 0; i < 500 && !tool->saw_cancel; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(tool->saw_cancel);
}

TEST_F(ToolboxTest, AToolIgnoringCancellationCannotTouchTheRunAfterItsTimeout) {
  auto tool = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kIgnoreCancel);
  std::unique_ptr<Toolbox> toolbox = WithTool(tool, "timeout_ms: 100");
  scratch_["seen"] = "before";
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_THAT(outcome.content, HasSubstr("did not finish within 100 ms"));
  tool->release.Notify();
  for (int i = 0; i < 500 && !tool->finished; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(tool->finished);
  // Its late write went to its own copy of the scratch.
  EXPECT_EQ(scratch_["seen"], "before");
}

TEST_F(ToolboxTest, AToolThatFinishesInTimeUpdatesTheRunsScratch) {
  auto tool = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kAnswer);
  std::unique_ptr<Toolbox> toolbox = WithTool(tool);
  scratch_["kept"] = "yes";
  ToolInvocation invocation = Invocation("{}");
  invocation.tool_call_id = "call-9";
  EXPECT_FALSE(Call(*toolbox, "a", "calculator", invocation).is_error);
  EXPECT_EQ(scratch_["seen"], "call-9");
  EXPECT_EQ(scratch_["kept"], "yes");
}

TEST_F(ToolboxTest, TheRunsEarlierDeadlineWins) {
  auto tool =
      std::make_shared<ScriptedTool>(ScriptedTool::Mode::kHangUntilCancelled);
  std::unique_ptr<Toolbox> toolbox = WithTool(tool, "timeout_ms: 60000");
  ToolInvocation invocation = Invocation("{}");
  invocation.deadline = absl::Now() + absl::Milliseconds(150);
  const absl::Time start = absl::Now();
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", invocation);
  EXPECT_TRUE(outcome.is_error);
  EXPECT_THAT(outcome.content, HasSubstr("did not finish within"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(ToolboxTest, ACancelledRunStopsWaiting) {
  // A tool that polls its `cancelled` stops by itself ...
  auto polite =
      std::make_shared<ScriptedTool>(ScriptedTool::Mode::kHangUntilCancelled);
  // ... one that does not is left behind.
  auto deaf = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kIgnoreCancel);
  for (const auto& tool : {polite, deaf}) {
    cancelled_ = false;
    std::unique_ptr<Toolbox> toolbox = WithTool(tool, "timeout_ms: 60000");
    std::thread canceller([this] {
      absl::SleepFor(absl::Milliseconds(100));
      cancelled_ = true;
    });
    const absl::Time start = absl::Now();
    ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation("{}"));
    canceller.join();
    EXPECT_TRUE(outcome.is_error);
    EXPECT_EQ(outcome.content, "tool call cancelled");
    EXPECT_LT(absl::Now() - start, absl::Seconds(3));
    // Already cancelled: the tool is not even started.
    const int calls = tool->calls.load();
    EXPECT_EQ(Call(*toolbox, "a", "calculator", Invocation("{}")).content,
              "tool call cancelled");
    EXPECT_EQ(tool->calls.load(), calls);
  }
  EXPECT_TRUE(polite->saw_cancel);
  deaf->release.Notify();
}

TEST_F(ToolboxTest, AThrowingToolIsAnErrorResult) {
  std::unique_ptr<Toolbox> toolbox =
      WithTool(std::make_shared<ScriptedTool>(ScriptedTool::Mode::kThrow));
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"calculator\" failed: the tool failed unexpectedly");
  EXPECT_THAT(outcome.content, Not(HasSubstr("secret")));
}

TEST_F(ToolboxTest, AFailedCallIsAnErrorResultWithItsMessage) {
  std::unique_ptr<Toolbox> toolbox =
      WithTool(std::make_shared<ScriptedTool>(ScriptedTool::Mode::kFailStatus));
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"calculator\" failed: the lookup service is down");
}

TEST_F(ToolboxTest, AResultOverTheCapIsAnErrorResult) {
  auto tool = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kAnswer);
  std::unique_ptr<Toolbox> toolbox = WithTool(tool, "max_result_bytes: 10");
  tool->answer = std::string(10, 'x');
  EXPECT_FALSE(Call(*toolbox, "a", "calculator", Invocation("{}")).is_error);
  tool->answer = std::string(11, 'x');
  ToolOutcome outcome = Call(*toolbox, "a", "calculator", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"calculator\" returned 11 bytes, more than its limit of 10");

  // Default cap: 64 KiB.
  std::unique_ptr<Toolbox> defaults = WithTool(tool);
  tool->answer = std::string(64 * 1024, 'x');
  EXPECT_FALSE(Call(*defaults, "a", "calculator", Invocation("{}")).is_error);
  tool->answer += "x";
  EXPECT_TRUE(Call(*defaults, "a", "calculator", Invocation("{}")).is_error);
}

TEST_F(ToolboxTest, HungToolsCannotPileUpThreads) {
  auto hung = std::make_shared<ScriptedTool>(ScriptedTool::Mode::kIgnoreCancel);
  std::unique_ptr<Toolbox> toolbox =
      WithTool(hung, "timeout_ms: 50", /*max_in_process_calls=*/2);
  EXPECT_THAT(Call(*toolbox, "a", "calculator", Invocation("{}")).content,
              HasSubstr("did not finish"));
  EXPECT_THAT(Call(*toolbox, "a", "calculator", Invocation("{}")).content,
              HasSubstr("did not finish"));
  // Both abandoned calls still hold their threads.
  EXPECT_EQ(Call(*toolbox, "a", "calculator", Invocation("{}")).content,
            "tool \"calculator\" failed: too many tool calls in progress; try "
            "again later");
  EXPECT_EQ(hung->calls.load(), 2);
  hung->release.Notify();
}

TEST_F(ToolboxTest, CreateRefusesWhatCannotWork) {
  // An external tool needs this service's identity.
  EXPECT_THAT(Toolbox::Create(Agents(R"pb(agents {
                agent_id: "a"
                tools { name: "lookup" endpoint: "127.0.0.1:1" }
              })pb"),
                              ToolboxOptions{}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A memory tool needs data.
  absl::StatusOr<std::unique_ptr<Toolbox>> toolbox = Toolbox::Create(
      Agents(R"pb(agents { agent_id: "a" tools { name: "memory_write" } })pb"),
      ToolboxOptions{});
  EXPECT_THAT(toolbox, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(toolbox.status().message()),
              HasSubstr("agent \"a\" tool \"memory_write\""));
  // Specs are validated here too.
  EXPECT_THAT(Toolbox::Create(Agents(R"pb(agents {
                agent_id: "a"
                tools { name: "weather" }
              })pb"),
                              ToolboxOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ToolboxOptions null_tool;
  null_tool.in_process_tools["calculator"] = nullptr;
  EXPECT_THAT(Toolbox::Create({}, std::move(null_tool)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ToolboxOptions no_threads;
  no_threads.max_in_process_calls = 0;
  EXPECT_THAT(Toolbox::Create({}, std::move(no_threads)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

class ToolboxRemoteTest : public ToolboxTest {
 protected:
  void SetUp() override {
    ToolboxTest::SetUp();
    fake_ = FakeToolServer::Start();
    ASSERT_NE(fake_, nullptr);
    ChannelFactory channels(/*credentials=*/nullptr, fake_->identity.get());
    ToolboxOptions options;
    options.channels = &channels;
    const std::string endpoint = fake_->address();
    absl::StatusOr<std::unique_ptr<Toolbox>> toolbox = Toolbox::Create(
        Agents(absl::StrCat(R"pb(agents {
          agent_id: "ops"
          tools { name: "echo" endpoint: ")pb", endpoint, R"pb(" }
          tools {
            name: "fail"
            endpoint: ")pb", endpoint, R"pb("
          }
          tools {
            name: "hang"
            endpoint: ")pb", endpoint, R"pb("
            timeout_ms: 300
          }
          tools {
            name: "big"
            endpoint: ")pb", endpoint, R"pb("
            max_result_bytes: 1000
          }
          tools {
            name: "echo_checked"
            endpoint: ")pb", endpoint, R"pb("
            parameters_json_schema: '{"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}'
          }
        })pb")),
        std::move(options));
    ASSERT_THAT(toolbox, IsOk());
    toolbox_ = *std::move(toolbox);
  }

  std::unique_ptr<FakeToolServer> fake_;
  std::unique_ptr<Toolbox> toolbox_;
};

TEST_F(ToolboxRemoteTest, CallsTheToolServerForTheOwner) {
  ToolOutcome outcome =
      Call(*toolbox_, "ops", "echo", Invocation(R"({"order_id": "A-1"})"));
  ASSERT_FALSE(outcome.is_error) << outcome.content;
  EXPECT_EQ(nlohmann::json::parse(outcome.content)["for"], "assertion-of-alice");
  EXPECT_EQ(fake_->service->ServicesSeen(),
            std::vector<std::string>{"service:run_executor"});
  // Any object is accepted without a schema; a non-object is not.
  EXPECT_TRUE(Call(*toolbox_, "ops", "echo", Invocation("[1]")).is_error);
  EXPECT_EQ(fake_->service->invocations.load(), 1);
}

TEST_F(ToolboxRemoteTest, ExternalToolsAreSchemaCheckedToo) {
  ToolOutcome outcome =
      Call(*toolbox_, "ops", "echo_checked", Invocation(R"({"order_id": 5})"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_THAT(outcome.content, HasSubstr("arguments.order_id: expected string"));
  EXPECT_EQ(fake_->service->invocations.load(), 0);
}

TEST_F(ToolboxRemoteTest, TheServersErrorResultReachesTheModel) {
  ToolOutcome outcome = Call(*toolbox_, "ops", "fail", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content, "the order does not exist");
}

TEST_F(ToolboxRemoteTest, AHungServerTimesOut) {
  const absl::Time start = absl::Now();
  ToolOutcome outcome = Call(*toolbox_, "ops", "hang", Invocation("{}"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content, "tool \"hang\" did not finish within 300 ms");
}

TEST_F(ToolboxRemoteTest, AnOversizeAnswerIsAnErrorResult) {
  fake_->service->big_result_bytes = 1000;
  EXPECT_FALSE(Call(*toolbox_, "ops", "big", Invocation("{}")).is_error);
  fake_->service->big_result_bytes = 1001;
  ToolOutcome outcome = Call(*toolbox_, "ops", "big", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"big\" returned 1001 bytes, more than its limit of 1000");
  // Beyond what the channel accepts at all.
  fake_->service->big_result_bytes = 5 * 1024 * 1024;
  outcome = Call(*toolbox_, "ops", "big", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_THAT(outcome.content, HasSubstr("too large"));
}

TEST_F(ToolboxRemoteTest, AServerThatIsGoneIsAnErrorResult) {
  fake_->server.reset();
  ToolOutcome outcome = Call(*toolbox_, "ops", "echo", Invocation("{}"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"echo\" failed: the tool server is unavailable");
}

}  // namespace
}  // namespace bastion::runs
