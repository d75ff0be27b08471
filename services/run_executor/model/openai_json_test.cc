// Tests the chat-completions wire format: the request body for every role
// and tools, whole answers, streamed chunks (text and tool-call deltas
// assembled), and answers that must be refused.
#include "services/run_executor/model/openai_json.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;
using Json = nlohmann::json;

ChatRequestSettings Settings() {
  ChatRequestSettings settings;
  settings.model = "m";
  return settings;
}

ModelRequest Conversation() {
  ModelRequest request;
  request.messages.push_back({ChatMessage::Role::kSystem, "Be brief.", {}, "", ""});
  request.messages.push_back({ChatMessage::Role::kUser, "2+2?", {}, "", ""});
  request.messages.push_back({ChatMessage::Role::kAssistant,
                              "",
                              {{"call_1", "calculator", R"({"expr":"2+2"})"}},
                              "",
                              ""});
  request.messages.push_back(
      {ChatMessage::Role::kTool, "4", {}, "call_1", "calculator"});
  request.tools.push_back(
      {"calculator", "Adds numbers.",
       R"({"type":"object","properties":{"expr":{"type":"string"}}})"});
  request.tools.push_back({"now", "The time.", ""});
  return request;
}

TEST(BuildChatRequestTest, WritesEveryRoleToolsAndSettings) {
  absl::StatusOr<std::string> body = BuildChatRequest(
      {"gpt-test", /*stream=*/true, /*temperature=*/0.5, /*max_tokens=*/64},
      Conversation());
  ASSERT_THAT(body, IsOk());
  const Json json = Json::parse(*body);
  EXPECT_EQ(json, Json::parse(R"({
    "model": "gpt-test",
    "stream": true,
    "temperature": 0.5,
    "max_tokens": 64,
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "2+2?"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "calculator", "arguments": "{\"expr\":\"2+2\"}"}}
      ]},
      {"role": "tool", "tool_call_id": "call_1", "content": "4"}
    ],
    "tools": [
      {"type": "function", "function": {"name": "calculator",
        "description": "Adds numbers.",
        "parameters": {"type": "object",
                       "properties": {"expr": {"type": "string"}}}}},
      {"type": "function", "function": {"name": "now",
        "description": "The time.",
        "parameters": {"type": "object", "properties": {}}}}
    ]
  })"));
}

TEST(BuildChatRequestTest, LeavesOutUnsetSettingsAndEmptyTools) {
  ModelRequest request;
  request.messages.push_back({ChatMessage::Role::kUser, "hi", {}, "", ""});
  absl::StatusOr<std::string> body =
      BuildChatRequest({"m", /*stream=*/false, std::nullopt, 0}, request);
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(Json::parse(*body), Json::parse(R"({"model": "m", "stream": false,
    "messages": [{"role": "user", "content": "hi"}]})"));
}

TEST(BuildChatRequestTest, ReplacesInvalidUtf8InsteadOfFailing) {
  ModelRequest request;
  request.messages.push_back(
      {ChatMessage::Role::kUser, std::string("bad \xff byte"), {}, "", ""});
  absl::StatusOr<std::string> body = BuildChatRequest(Settings(), request);
  ASSERT_THAT(body, IsOk());
  EXPECT_EQ(Json::parse(*body)["messages"][0]["content"], "bad \xEF\xBF\xBD byte");
}

TEST(BuildChatRequestTest, RefusesAToolSchemaThatIsNotAnObject) {
  ModelRequest request;
  request.tools.push_back({"broken", "", "[1, 2"});
  EXPECT_THAT(BuildChatRequest(Settings(), request),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseChatCompletionTest, ReadsTextAndToolCalls) {
  absl::StatusOr<ModelReply> reply = ParseChatCompletion(R"({
    "id": "x", "object": "chat.completion",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
      "role": "assistant", "content": "Let me check.",
      "tool_calls": [
        {"id": "call_a", "type": "function",
         "function": {"name": "lookup", "arguments": "{\"q\":\"x\"}"}},
        {"id": "call_b", "type": "function",
         "function": {"name": "now", "arguments": {"tz": "UTC"}}}
      ]}}]})");
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "Let me check.");
  ASSERT_EQ(reply->tool_calls.size(), 2u);
  EXPECT_EQ(reply->tool_calls[0].id, "call_a");
  EXPECT_EQ(reply->tool_calls[0].name, "lookup");
  EXPECT_EQ(reply->tool_calls[0].arguments_json, R"({"q":"x"})");
  // Ollama-style object arguments are serialized.
  EXPECT_EQ(reply->tool_calls[1].arguments_json, R"({"tz":"UTC"})");
}

TEST(ParseChatCompletionTest, NullContentIsEmptyText) {
  absl::StatusOr<ModelReply> reply = ParseChatCompletion(
      R"({"choices":[{"message":{"role":"assistant","content":null}}]})");
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "");
  EXPECT_TRUE(reply->tool_calls.empty());
}

TEST(ParseChatCompletionTest, RefusesWhatIsNotAnAnswer) {
  for (const char* body : {
           "",
           "<html>502 Bad Gateway</html>",
           "[]",
           R"({"choices": []})",
           R"({"choices": [{"message": "text"}]})",
           R"({"choices": [{"message": {"content": 42}}]})",
           R"({"choices": [{"message": {"tool_calls": {}}}]})",
           R"({"choices": [{"message": {"tool_calls": [{"function": {}}]}}]})",
           R"({"choices": [{"message": {"tool_calls": [
               {"function": {"name": "f", "arguments": 7}}]}}]})",
       }) {
    EXPECT_THAT(ParseChatCompletion(body), StatusIs(absl::StatusCode::kInternal))
        << body;
  }
}

TEST(ParseChatCompletionTest, ErrorObjectIsUnavailable) {
  EXPECT_THAT(ParseChatCompletion(R"({"error": {"message": "overloaded"}})"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ParseChatCompletionTest, RefusesTooManyToolCalls) {
  Json calls = Json::array();
  for (size_t i = 0; i <= kMaxToolCallsPerReply; ++i) {
    calls.push_back({{"function", {{"name", "f"}, {"arguments", "{}"}}}});
  }
  const Json answer = {{"choices", {{{"message", {{"tool_calls", calls}}}}}}};
  EXPECT_THAT(ParseChatCompletion(answer.dump()),
              StatusIs(absl::StatusCode::kInternal));
}

std::string Chunk(const Json& delta, const Json& finish_reason = nullptr) {
  return Json{{"choices",
               {{{"index", 0},
                 {"delta", delta},
                 {"finish_reason", finish_reason}}}}}
      .dump();
}

TEST(StreamedReplyTest, HandsOnTextAsItComesAndAssemblesToolCalls) {
  StreamedReply streamed;
  std::vector<std::string> pieces;
  auto on_text = [&pieces](absl::string_view text) {
    pieces.emplace_back(text);
  };
  for (const std::string& data : {
           Chunk({{"role", "assistant"}, {"content", ""}}),
           Chunk({{"content", "Hel"}}),
           Chunk({{"content", "lo"}}),
           Chunk({{"tool_calls",
                   {{{"index", 0},
                     {"id", "call_1"},
                     {"type", "function"},
                     {"function", {{"name", "lookup"}, {"arguments", ""}}}}}}}),
           Chunk({{"tool_calls",
                   {{{"index", 1},
                     {"id", "call_2"},
                     {"function", {{"name", "now"}, {"arguments", "{}"}}}}}}}),
           Chunk({{"tool_calls",
                   {{{"index", 0}, {"function", {{"arguments", "{\"q\":"}}}}}}}),
           Chunk({{"tool_calls",
                   {{{"index", 0}, {"function", {{"arguments", "\"x\"}"}}}}}}}),
           Chunk(Json::object(), "tool_calls"),
           std::string(R"({"id":"u","choices":[],"usage":{"total_tokens":9}})"),
           std::string("[DONE]"),
           std::string("not even JSON, but after [DONE]"),
       }) {
    ASSERT_THAT(streamed.Add(data, on_text), IsOk()) << data;
  }
  absl::StatusOr<ModelReply> reply = streamed.Finish();
  ASSERT_THAT(reply, IsOk());
  EXPECT_THAT(pieces, ElementsAre("Hel", "lo"));
  EXPECT_EQ(reply->text, "Hello");
  ASSERT_EQ(reply->tool_calls.size(), 2u);
  EXPECT_EQ(reply->tool_calls[0].id, "call_1");
  EXPECT_EQ(reply->tool_calls[0].name, "lookup");
  EXPECT_EQ(reply->tool_calls[0].arguments_json, R"({"q":"x"})");
  EXPECT_EQ(reply->tool_calls[1].name, "now");
  EXPECT_EQ(reply->tool_calls[1].arguments_json, "{}");
}

TEST(StreamedReplyTest, ToolCallsWithoutIndexUseTheirPosition) {
  StreamedReply streamed;
  ASSERT_THAT(
      streamed.Add(Chunk({{"tool_calls",
                           {{{"function", {{"name", "a"}, {"arguments", "{}"}}}},
                            {{"function", {{"name", "b"}, {"arguments", "{}"}}}}}}},
                         "tool_calls"),
                   nullptr),
      IsOk());
  absl::StatusOr<ModelReply> reply = streamed.Finish();
  ASSERT_THAT(reply, IsOk());
  ASSERT_EQ(reply->tool_calls.size(), 2u);
  EXPECT_EQ(reply->tool_calls[0].name, "a");
  EXPECT_EQ(reply->tool_calls[1].name, "b");
}

TEST(StreamedReplyTest, AFinishReasonWithoutDoneEndsTheAnswer) {
  StreamedReply streamed;
  ASSERT_THAT(streamed.Add(Chunk({{"content", "ok"}}, "stop"), nullptr), IsOk());
  absl::StatusOr<ModelReply> reply = streamed.Finish();
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "ok");
}

TEST(StreamedReplyTest, AStreamCutShortIsInternal) {
  StreamedReply streamed;
  ASSERT_THAT(streamed.Add(Chunk({{"content", "half an ans"}}), nullptr),
              IsOk());
  EXPECT_THAT(streamed.Finish(), StatusIs(absl::StatusCode::kInternal));
}

TEST(StreamedReplyTest, RefusesBadChunks) {
  for (const std::string& data : {
           std::string("{not json"),
           std::string(R"({"choices":[{"delta":"text"}]})"),
           Chunk({{"content", 5}}),
           Chunk({{"tool_calls", {{{"index", -1}}}}}),
           Chunk({{"tool_calls", {{{"index", 1000000000}}}}}),
           Chunk({{"tool_calls", {{{"index", "0"}}}}}),
           Chunk({{"tool_calls", {{{"index", 0},
                                   {"function", {{"arguments", 3}}}}}}}),
       }) {
    StreamedReply streamed;
    EXPECT_THAT(streamed.Add(data, nullptr),
                StatusIs(absl::StatusCode::kInternal))
        << data;
  }
}

TEST(StreamedReplyTest, AToolCallThatNeverGotANameIsInternal) {
  StreamedReply streamed;
  ASSERT_THAT(streamed.Add(Chunk({{"tool_calls",
                                   {{{"index", 0},
                                     {"function", {{"arguments", "{}"}}}}}}}),
                           nullptr),
              IsOk());
  ASSERT_THAT(streamed.Add("[DONE]", nullptr), IsOk());
  EXPECT_THAT(streamed.Finish(), StatusIs(absl::StatusCode::kInternal));
}

TEST(StreamedReplyTest, AnErrorInTheStreamIsUnavailable) {
  StreamedReply streamed;
  EXPECT_THAT(streamed.Add(R"({"error": {"message": "boom"}})", nullptr),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(LoggableErrorKindTest, KeepsOnlyShortCodesThatHoldNoSecret) {
  EXPECT_EQ(LoggableErrorKind(
                R"({"error":{"message":"slow down","type":"requests",
                             "code":"rate_limit_exceeded"}})",
                "sk-secret"),
            "rate_limit_exceeded");
  EXPECT_EQ(LoggableErrorKind(R"({"error":{"type":"server_error"}})", ""),
            "server_error");
  // The free-text message is never taken, even when it is all there is.
  EXPECT_EQ(LoggableErrorKind(
                R"({"error":{"message":"Incorrect API key provided: sk-secret"}})",
                "sk-secret"),
            "");
  EXPECT_EQ(LoggableErrorKind(R"({"error":{"code":"sk-secret"}})", "sk-secret"),
            "");
  EXPECT_EQ(LoggableErrorKind(R"({"error":{"code":"has spaces"}})", ""), "");
  EXPECT_EQ(LoggableErrorKind("<html>", ""), "");
}

}  // namespace
}  // namespace bastion::runs
