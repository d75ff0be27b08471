// Tests the scripted model's rules: echo, an agent that calls tools and then
// answers from their results, a team leader that delegates to members and
// composes their answers, placeholders escaped inside JSON, streaming word
// by word, cancellation and the deadline.
#include "services/run_executor/model/scripted_model.h"

#include <string>
#include <vector>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;
using Role = ChatMessage::Role;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

class ScriptedModelTest : public ::testing::Test {
 protected:
  std::unique_ptr<ScriptedModel> Make(const std::string& text_proto) {
    v1::ScriptedModel spec;
    EXPECT_TRUE(
        google::protobuf::TextFormat::ParseFromString(text_proto, &spec));
    absl::StatusOr<std::unique_ptr<ScriptedModel>> model =
        ScriptedModel::Create(spec, &clock_);
    EXPECT_THAT(model, IsOk());
    return model.ok() ? *std::move(model) : nullptr;
  }

  static ChatMessage User(const std::string& text) {
    return {Role::kUser, text, {}, "", ""};
  }
  static ChatMessage Asked(std::vector<ToolCallRequest> calls) {
    return {Role::kAssistant, "", std::move(calls), "", ""};
  }
  static ChatMessage Result(const std::string& tool, const std::string& id,
                            const std::string& content) {
    return {Role::kTool, content, {}, id, tool};
  }

  FakeClock clock_{kNow};
};

TEST_F(ScriptedModelTest, EmptySpecEchoesTheInputWordByWord) {
  std::unique_ptr<ScriptedModel> echo = Make("");
  std::vector<std::string> pieces;
  ModelCallOptions options;
  options.on_text = [&pieces](absl::string_view text) {
    pieces.emplace_back(text);
  };
  absl::StatusOr<ModelReply> reply = echo->Complete(
      {{{Role::kSystem, "Repeat.", {}, "", ""}, User("Hello, big  world")}, {}},
      options);
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "Hello, big  world");
  EXPECT_TRUE(reply->tool_calls.empty());
  EXPECT_THAT(pieces, ElementsAre("Hello, ", "big  ", "world"));
}

constexpr char kCalculatorAgent[] = R"pb(
  rules {
    input_contains: "sum"
    reply: "Let me add."
    tool_calls { tool_name: "calculator" arguments_json: '{"expression": "{input}"}' }
    tool_calls { tool_name: "clock" }
  }
  rules { after_tool: "calculator" reply: "The answer is {tool_result}." }
  rules { after_tool: "*" reply: "Tools said: {tool_results}" }
  fallback_reply: "I only add. You said: {input}"
)pb";

TEST_F(ScriptedModelTest, CallsToolsThenAnswersFromTheirResults) {
  std::unique_ptr<ScriptedModel> model = Make(kCalculatorAgent);
  ModelRequest request{{User("sum 2+2")}, {}};

  absl::StatusOr<ModelReply> first = model->Complete(request, {});
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->text, "Let me add.");
  ASSERT_EQ(first->tool_calls.size(), 2u);
  EXPECT_EQ(first->tool_calls[0].id, "call_1_1");
  EXPECT_EQ(first->tool_calls[0].name, "calculator");
  EXPECT_EQ(first->tool_calls[0].arguments_json,
            R"({"expression":"sum 2+2"})");
  EXPECT_EQ(first->tool_calls[1].id, "call_1_2");
  EXPECT_EQ(first->tool_calls[1].arguments_json, "{}");

  // The round's results come back; the rule naming calculator answers.
  request.messages.push_back(Asked(first->tool_calls));
  request.messages.push_back(Result("calculator", "call_1_1", "4"));
  request.messages.push_back(Result("clock", "call_1_2", "noon"));
  absl::StatusOr<ModelReply> second = model->Complete(request, {});
  ASSERT_THAT(second, IsOk());
  // {tool_result} is the named tool's result, not the round's last one.
  EXPECT_EQ(second->text, "The answer is 4.");
  EXPECT_TRUE(second->tool_calls.empty());
}

TEST_F(ScriptedModelTest, AfterAnyToolJoinsTheRoundsResults) {
  std::unique_ptr<ScriptedModel> model = Make(kCalculatorAgent);
  ModelRequest request{{User("sum"),
                        Asked({{"c1", "clock", "{}"}, {"c2", "weather", "{}"}}),
                        Result("clock", "c1", "noon"),
                        Result("weather", "c2", "rain")},
                       {}};
  absl::StatusOr<ModelReply> reply = model->Complete(request, {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "Tools said: noon\nrain");
}

TEST_F(ScriptedModelTest, FallbackWhenNoRuleMatches) {
  std::unique_ptr<ScriptedModel> model = Make(kCalculatorAgent);
  absl::StatusOr<ModelReply> reply =
      model->Complete({{User("hello")}, {}}, {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "I only add. You said: hello");
  EXPECT_TRUE(reply->tool_calls.empty());
}

TEST_F(ScriptedModelTest, TeamLeaderDelegatesToMembersAndComposes) {
  std::unique_ptr<ScriptedModel> leader = Make(R"pb(
    rules {
      tool_calls { tool_name: "researcher" arguments_json: '{"input": "{input}"}' }
      tool_calls { tool_name: "writer" arguments_json: '{"input": "Draft: {input}"}' }
    }
    rules { after_tool: "*" reply: "Team answer:\n{tool_results}" }
  )pb");
  ModelRequest request{{User("why is the sky blue")}, {}};
  absl::StatusOr<ModelReply> delegation = leader->Complete(request, {});
  ASSERT_THAT(delegation, IsOk());
  ASSERT_EQ(delegation->tool_calls.size(), 2u);
  EXPECT_EQ(delegation->tool_calls[0].name, "researcher");
  EXPECT_EQ(delegation->tool_calls[0].arguments_json,
            R"({"input":"why is the sky blue"})");
  EXPECT_EQ(delegation->tool_calls[1].arguments_json,
            R"({"input":"Draft: why is the sky blue"})");

  request.messages.push_back(Asked(delegation->tool_calls));
  request.messages.push_back(Result("researcher", "call_1_1", "Rayleigh."));
  request.messages.push_back(Result("writer", "call_1_2", "Because."));
  absl::StatusOr<ModelReply> answer = leader->Complete(request, {});
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->text, "Team answer:\nRayleigh.\nBecause.");
}

TEST_F(ScriptedModelTest, HostileInputStaysInsideItsJsonString) {
  std::unique_ptr<ScriptedModel> model = Make(R"pb(
    rules { tool_calls { tool_name: "lookup" arguments_json: '{"q": "{input}", "n": 3}' } }
  )pb");
  const std::string input = "\", \"admin\": true, \"x\": \"\n{tool_results}";
  absl::StatusOr<ModelReply> reply = model->Complete({{User(input)}, {}}, {});
  ASSERT_THAT(reply, IsOk());
  ASSERT_EQ(reply->tool_calls.size(), 1u);
  const nlohmann::json arguments =
      nlohmann::json::parse(reply->tool_calls[0].arguments_json);
  // Exactly the template's keys; the input (placeholders included) is
  // one string value, not expanded again.
  EXPECT_EQ(arguments, nlohmann::json({{"q", input}, {"n", 3}}));
}

TEST_F(ScriptedModelTest, InputIsTheLastUserMessage) {
  std::unique_ptr<ScriptedModel> model = Make(R"pb(
    rules { input_contains: "second" reply: "matched {input}" }
  )pb");
  absl::StatusOr<ModelReply> reply = model->Complete(
      {{User("first"), {Role::kAssistant, "ok", {}, "", ""}, User("second")},
       {}},
      {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "matched second");
}

TEST_F(ScriptedModelTest, TurnStartRulesDoNotFireAfterToolResults) {
  std::unique_ptr<ScriptedModel> model = Make(R"pb(
    rules { reply: "start" tool_calls { tool_name: "t" } }
    fallback_reply: "after: {tool_result}"
  )pb");
  absl::StatusOr<ModelReply> reply = model->Complete(
      {{User("go"), Asked({{"c", "t", "{}"}}), Result("t", "c", "done")}, {}},
      {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "after: done");
  EXPECT_TRUE(reply->tool_calls.empty());
}

TEST_F(ScriptedModelTest, SameConversationSameAnswer) {
  std::unique_ptr<ScriptedModel> model = Make(kCalculatorAgent);
  const ModelRequest request{{User("sum 1+1")}, {}};
  absl::StatusOr<ModelReply> a = model->Complete(request, {});
  absl::StatusOr<ModelReply> b = model->Complete(request, {});
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->text, b->text);
  ASSERT_EQ(a->tool_calls.size(), b->tool_calls.size());
  for (size_t i = 0; i < a->tool_calls.size(); ++i) {
    EXPECT_EQ(a->tool_calls[i].id, b->tool_calls[i].id);
    EXPECT_EQ(a->tool_calls[i].arguments_json, b->tool_calls[i].arguments_json);
  }
}

TEST_F(ScriptedModelTest, CancelledMidStreamStopsWithCancelled) {
  std::unique_ptr<ScriptedModel> echo = Make("");
  std::vector<std::string> pieces;
  ModelCallOptions options;
  options.on_text = [&pieces](absl::string_view text) {
    pieces.emplace_back(text);
  };
  options.cancelled = [&pieces] { return pieces.size() >= 2; };
  EXPECT_THAT(echo->Complete({{User("one two three four")}, {}}, options),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(pieces, ElementsAre("one ", "two "));
}

TEST_F(ScriptedModelTest, WordDelayPacesTheStream) {
  std::unique_ptr<ScriptedModel> slow = Make("word_delay_ms: 30");
  std::vector<absl::Time> arrived;
  ModelCallOptions options;
  options.on_text = [&arrived](absl::string_view) {
    arrived.push_back(absl::Now());
  };
  ASSERT_THAT(slow->Complete({{User("one two three")}, {}}, options), IsOk());
  ASSERT_EQ(arrived.size(), 3u);
  // The first word at once, each next one after the pause.
  EXPECT_GE(arrived[2] - arrived[0], absl::Milliseconds(60));

  // A cancel between words stops it there.
  std::vector<std::string> pieces;
  options.on_text = [&pieces](absl::string_view text) {
    pieces.emplace_back(text);
  };
  options.cancelled = [&pieces] { return pieces.size() >= 1; };
  EXPECT_THAT(slow->Complete({{User("one two three")}, {}}, options),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(pieces, ElementsAre("one "));
}

TEST_F(ScriptedModelTest, PastTheDeadlineIsDeadlineExceeded) {
  std::unique_ptr<ScriptedModel> echo = Make("");
  ModelCallOptions options;
  options.deadline = kNow + absl::Seconds(1);
  EXPECT_THAT(echo->Complete({{User("in time")}, {}}, options), IsOk());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(echo->Complete({{User("too late")}, {}}, options),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST_F(ScriptedModelTest, RefusesAnArgumentsTemplateThatIsNotAnObject) {
  v1::ScriptedModel spec;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(rules { tool_calls { tool_name: "t" arguments_json: "[1]" } })pb",
      &spec));
  EXPECT_THAT(ScriptedModel::Create(spec, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::runs
