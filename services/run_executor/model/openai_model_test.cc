// Tests the OpenAI-compatible client against a fake chat-completions server
// started by the test: whole and streamed answers, tool calls (streamed
// deltas assembled), retries on 429 and 5xx, refusals that are not retried,
// a slow server hitting the timeout, garbage answers, cancellation while
// streaming and while waiting to retry, and that the API key never appears
// in an error or a log line.
#include "services/run_executor/model/openai_model.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/model/fake_chat_server.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

constexpr char kKey[] = "sk-bastion-test-7f3a9c2e";
// Long enough that a test passing by waiting for it would be obvious.
constexpr absl::Duration kGateTimeout = absl::Seconds(10);

std::string Answer(const std::string& text) {
  return Json{{"id", "chatcmpl-1"},
              {"object", "chat.completion"},
              {"choices",
               {{{"index", 0},
                 {"finish_reason", "stop"},
                 {"message", {{"role", "assistant"}, {"content", text}}}}}}}
      .dump();
}

std::string TextChunk(const std::string& text) {
  return Json{{"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}}
      .dump();
}

std::string FinishChunk(const std::string& reason) {
  return Json{{"choices",
               {{{"index", 0},
                 {"delta", Json::object()},
                 {"finish_reason", reason}}}}}
      .dump();
}

ModelRequest Question(const std::string& text = "What is 2+2?") {
  ModelRequest request;
  request.messages.push_back({ChatMessage::Role::kUser, text, {}, "", ""});
  return request;
}

// Everything written to stderr (where common/log writes) between
// construction and Take().
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() { Restore(); }

  std::string Take() {
    Restore();
    std::string text;
    std::rewind(file_);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), file_)) > 0;) {
      text.append(buffer, n);
    }
    return text;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }

  std::FILE* file_;
  int saved_ = -1;
};

class OpenAiModelTest : public ::testing::Test {
 protected:
  OpenAiModelConfig Config() const {
    OpenAiModelConfig config;
    config.name = "fake";
    config.base_url = server_.base_url();
    config.model = "test-model";
    config.api_key = kKey;
    config.stream = false;
    config.initial_backoff = absl::Milliseconds(1);
    config.max_backoff = absl::Milliseconds(5);
    return config;
  }

  std::unique_ptr<OpenAiModel> Make(const OpenAiModelConfig& config) {
    absl::StatusOr<std::unique_ptr<OpenAiModel>> model =
        OpenAiModel::Create(config);
    EXPECT_THAT(model, IsOk());
    return model.ok() ? *std::move(model) : nullptr;
  }

  FakeChatServer server_;
};

TEST_F(OpenAiModelTest, WholeAnswer) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.set_content(Answer("It is 4."), "application/json");
  });
  std::unique_ptr<OpenAiModel> model = Make(Config());
  std::vector<std::string> pieces;
  ModelCallOptions options;
  options.on_text = [&pieces](absl::string_view text) {
    pieces.emplace_back(text);
  };
  absl::StatusOr<ModelReply> reply = model->Complete(Question(), options);
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "It is 4.");
  EXPECT_TRUE(reply->tool_calls.empty());
  EXPECT_THAT(pieces, ElementsAre("It is 4."));

  const std::vector<FakeChatServer::Recorded> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].authorization, absl::StrCat("Bearer ", kKey));
  const Json body = Json::parse(requests[0].body);
  EXPECT_EQ(body["model"], "test-model");
  EXPECT_EQ(body["stream"], false);
  EXPECT_EQ(body["messages"],
            Json::parse(R"([{"role":"user","content":"What is 2+2?"}])"));
}

TEST_F(OpenAiModelTest, NoKeyMeansNoAuthorizationHeader) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.set_content(Answer("local"), "application/json");
  });
  OpenAiModelConfig config = Config();
  config.api_key = "";
  ASSERT_THAT(Make(config)->Complete(Question(), {}), IsOk());
  ASSERT_EQ(server_.request_count(), 1);
  EXPECT_EQ(server_.requests()[0].authorization, "");
}

TEST_F(OpenAiModelTest, StreamedAnswerReachesOnTextAsItArrives) {
  // The server holds the rest of its answer until the client has handed on
  // the first piece: a client that buffered the stream would never see it
  // and the gate would time out.
  std::atomic<bool> gate_opened_by_client{false};
  server_.Handle([this, &gate_opened_by_client](const httplib::Request&,
                                                httplib::Response& response) {
    response.set_chunked_content_provider(
        "text/event-stream",
        [this, &gate_opened_by_client](size_t, httplib::DataSink& sink) {
          const std::string first =
              absl::StrCat("data: ", TextChunk("It "), "\n\n");
          sink.write(first.data(), first.size());
          gate_opened_by_client = server_.WaitForGate(kGateTimeout);
          const std::string rest = absl::StrCat(
              "data: ", TextChunk("is "), "\n\n", "data: ", TextChunk("4."),
              "\n\n", "data: ", FinishChunk("stop"), "\n\n", "data: [DONE]\n\n");
          sink.write(rest.data(), rest.size());
          sink.done();
          return true;
        });
  });
  OpenAiModelConfig config = Config();
  config.stream = true;
  std::unique_ptr<OpenAiModel> model = Make(config);
  std::vector<std::string> pieces;
  ModelCallOptions options;
  options.on_text = [this, &pieces](absl::string_view text) {
    pieces.emplace_back(text);
    server_.Open();
  };
  absl::StatusOr<ModelReply> reply = model->Complete(Question(), options);
  ASSERT_THAT(reply, IsOk());
  EXPECT_TRUE(gate_opened_by_client);
  EXPECT_EQ(reply->text, "It is 4.");
  EXPECT_THAT(pieces, ElementsAre("It ", "is ", "4."));
  EXPECT_EQ(Json::parse(server_.requests()[0].body)["stream"], true);
}

TEST_F(OpenAiModelTest, ToolCallsAndToolsInTheRequest) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"choices":[{"message":{"role":"assistant",
        "content":null,"tool_calls":[{"id":"call_9","type":"function",
        "function":{"name":"calculator","arguments":"{\"expr\":\"2+2\"}"}}]},
        "finish_reason":"tool_calls"}]})",
                         "application/json");
  });
  ModelRequest request = Question();
  request.tools.push_back(
      {"calculator", "Evaluates arithmetic.",
       R"({"type":"object","properties":{"expr":{"type":"string"}},"required":["expr"]})"});
  absl::StatusOr<ModelReply> reply = Make(Config())->Complete(request, {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "");
  ASSERT_EQ(reply->tool_calls.size(), 1u);
  EXPECT_EQ(reply->tool_calls[0].id, "call_9");
  EXPECT_EQ(reply->tool_calls[0].name, "calculator");
  EXPECT_EQ(reply->tool_calls[0].arguments_json, R"({"expr":"2+2"})");

  const Json sent = Json::parse(server_.requests()[0].body);
  EXPECT_EQ(sent["tools"][0]["type"], "function");
  EXPECT_EQ(sent["tools"][0]["function"]["name"], "calculator");
  EXPECT_EQ(sent["tools"][0]["function"]["parameters"]["required"],
            Json::array({"expr"}));
}

TEST_F(OpenAiModelTest, StreamedToolCallDeltasAreAssembled) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    FakeChatServer::StreamEvents(
        response,
        {R"({"choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[
             {"index":0,"id":"call_a","type":"function",
              "function":{"name":"lookup","arguments":""}}]}}]})",
         R"({"choices":[{"index":0,"delta":{"tool_calls":[
             {"index":0,"function":{"arguments":"{\"q\": "}}]}}]})",
         R"({"choices":[{"index":0,"delta":{"tool_calls":[
             {"index":1,"id":"call_b","type":"function",
              "function":{"name":"now","arguments":"{}"}}]}}]})",
         R"({"choices":[{"index":0,"delta":{"tool_calls":[
             {"index":0,"function":{"arguments":"\"bastion\"}"}}]}}]})",
         FinishChunk("tool_calls"), "[DONE]"});
  });
  OpenAiModelConfig config = Config();
  config.stream = true;
  absl::StatusOr<ModelReply> reply = Make(config)->Complete(Question(), {});
  ASSERT_THAT(reply, IsOk());
  ASSERT_EQ(reply->tool_calls.size(), 2u);
  EXPECT_EQ(reply->tool_calls[0].id, "call_a");
  EXPECT_EQ(reply->tool_calls[0].name, "lookup");
  EXPECT_EQ(reply->tool_calls[0].arguments_json, R"({"q": "bastion"})");
  EXPECT_EQ(reply->tool_calls[1].id, "call_b");
  EXPECT_EQ(reply->tool_calls[1].name, "now");
}

TEST_F(OpenAiModelTest, ServerThatIgnoresStreamIsReadWhole) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.set_content(Answer("whole"), "application/json");
  });
  OpenAiModelConfig config = Config();
  config.stream = true;
  absl::StatusOr<ModelReply> reply = Make(config)->Complete(Question(), {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "whole");
}

TEST_F(OpenAiModelTest, RateLimitedOnceThenAnswers) {
  server_.Handle([this](const httplib::Request&, httplib::Response& response) {
    if (server_.request_count() == 1) {
      response.status = 429;
      response.set_header("Retry-After", "0");
      response.set_content(R"({"error":{"code":"rate_limit_exceeded"}})",
                           "application/json");
      return;
    }
    response.set_content(Answer("after retry"), "application/json");
  });
  absl::StatusOr<ModelReply> reply = Make(Config())->Complete(Question(), {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "after retry");
  EXPECT_EQ(server_.request_count(), 2);
}

TEST_F(OpenAiModelTest, RateLimitedEveryTimeIsResourceExhaustedAfterRetries) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.status = 429;
  });
  OpenAiModelConfig config = Config();
  config.max_retries = 2;
  absl::StatusOr<ModelReply> reply = Make(config)->Complete(Question(), {});
  EXPECT_THAT(reply, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(std::string(reply.status().message()), HasSubstr("3 attempts"));
  EXPECT_EQ(server_.request_count(), 3);
}

TEST_F(OpenAiModelTest, ServerErrorIsUnavailableAfterRetries) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.status = 500;
    response.set_content("Internal Server Error: stack trace here",
                         "text/plain");
  });
  OpenAiModelConfig config = Config();
  config.max_retries = 1;
  absl::StatusOr<ModelReply> reply = Make(config)->Complete(Question(), {});
  EXPECT_THAT(reply, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(std::string(reply.status().message()),
              Not(HasSubstr("stack trace")));
  EXPECT_EQ(server_.request_count(), 2);
}

TEST_F(OpenAiModelTest, ServerErrorThenSuccessIsRetried) {
  server_.Handle([this](const httplib::Request&, httplib::Response& response) {
    if (server_.request_count() == 1) {
      response.status = 503;
      return;
    }
    response.set_content(Answer("recovered"), "application/json");
  });
  absl::StatusOr<ModelReply> reply = Make(Config())->Complete(Question(), {});
  ASSERT_THAT(reply, IsOk());
  EXPECT_EQ(reply->text, "recovered");
}

TEST_F(OpenAiModelTest, RefusedRequestIsNotRetried) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.status = 400;
    response.set_content(R"({"error":{"code":"context_length_exceeded"}})",
                         "application/json");
  });
  EXPECT_THAT(Make(Config())->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(OpenAiModelTest, RefusedKeyIsUnavailableAndNotRetried) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.status = 401;
  });
  EXPECT_THAT(Make(Config())->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(OpenAiModelTest, SlowServerHitsTheTimeout) {
  server_.Handle([this](const httplib::Request&, httplib::Response& response) {
    server_.WaitForGate(kGateTimeout);
    response.set_content(Answer("too late"), "application/json");
  });
  OpenAiModelConfig config = Config();
  config.timeout = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  EXPECT_THAT(Make(config)->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, kGateTimeout / 2);
  // A timed-out attempt is not retried.
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(OpenAiModelTest, CallerDeadlineStopsASlowServer) {
  server_.Handle([this](const httplib::Request&, httplib::Response& response) {
    server_.WaitForGate(kGateTimeout);
    response.set_content(Answer("too late"), "application/json");
  });
  ModelCallOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  EXPECT_THAT(Make(Config())->Complete(Question(), options),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, kGateTimeout / 2);
}

TEST_F(OpenAiModelTest, GarbageBodyIsInternalAndNotRetried) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.set_content("<html>definitely not JSON</html>", "text/html");
  });
  absl::StatusOr<ModelReply> reply = Make(Config())->Complete(Question(), {});
  EXPECT_THAT(reply, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(std::string(reply.status().message()), Not(HasSubstr("html")));
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(OpenAiModelTest, GarbageInTheStreamIsInternal) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    FakeChatServer::StreamEvents(response, {TextChunk("fine "), "{garbage"});
  });
  OpenAiModelConfig config = Config();
  config.stream = true;
  EXPECT_THAT(Make(config)->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(OpenAiModelTest, StreamCutShortIsInternal) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    FakeChatServer::StreamEvents(response, {TextChunk("half an")});
  });
  OpenAiModelConfig config = Config();
  config.stream = true;
  EXPECT_THAT(Make(config)->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(OpenAiModelTest, AnswerLargerThanTheBoundIsInternal) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.set_content(Answer(std::string(64 << 10, 'x')),
                         "application/json");
  });
  OpenAiModelConfig config = Config();
  config.max_answer_bytes = 16 << 10;
  EXPECT_THAT(Make(config)->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(OpenAiModelTest, CancelledWhileStreaming) {
  server_.Handle([this](const httplib::Request&, httplib::Response& response) {
    response.set_chunked_content_provider(
        "text/event-stream", [this](size_t, httplib::DataSink& sink) {
          const std::string first =
              absl::StrCat("data: ", TextChunk("Once upon "), "\n\n");
          sink.write(first.data(), first.size());
          // The rest never comes unless the test ends.
          server_.WaitForGate(kGateTimeout);
          sink.done();
          return true;
        });
  });
  OpenAiModelConfig config = Config();
  config.stream = true;
  std::atomic<bool> cancel{false};
  std::vector<std::string> pieces;
  ModelCallOptions options;
  options.on_text = [&](absl::string_view text) {
    pieces.emplace_back(text);
    cancel = true;
  };
  options.cancelled = [&cancel] { return cancel.load(); };
  const absl::Time start = absl::Now();
  EXPECT_THAT(Make(config)->Complete(Question(), options),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, kGateTimeout / 2);
  EXPECT_THAT(pieces, ElementsAre("Once upon "));
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(OpenAiModelTest, CancelledWhileWaitingToRetry) {
  server_.Handle([](const httplib::Request&, httplib::Response& response) {
    response.status = 503;
    response.set_header("Retry-After", "30");
  });
  OpenAiModelConfig config = Config();
  config.max_backoff = absl::Seconds(30);
  ModelCallOptions options;
  options.cancelled = [this] { return server_.request_count() >= 1; };
  const absl::Time start = absl::Now();
  EXPECT_THAT(Make(config)->Complete(Question(), options),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(OpenAiModelTest, UnreachableServerIsUnavailable) {
  OpenAiModelConfig config = Config();
  {
    // A port that was just listening and no longer is.
    FakeChatServer gone;
    config.base_url = gone.base_url();
  }
  config.max_retries = 1;
  EXPECT_THAT(Make(config)->Complete(Question(), {}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(OpenAiModelTest, AlreadyCancelledOrPastDeadlineSendsNothing) {
  std::unique_ptr<OpenAiModel> model = Make(Config());
  ModelCallOptions cancelled;
  cancelled.cancelled = [] { return true; };
  EXPECT_THAT(model->Complete(Question(), cancelled),
              StatusIs(absl::StatusCode::kCancelled));
  ModelCallOptions late;
  late.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_THAT(model->Complete(Question(), late),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(OpenAiModelTest, ConcurrentCallsShareOneModel) {
  server_.Handle([](const httplib::Request& request,
                    httplib::Response& response) {
    const Json body = Json::parse(request.body);
    response.set_content(
        Answer(absl::StrCat("echo ", body["messages"][0]["content"].get<std::string>())),
        "application/json");
  });
  std::unique_ptr<OpenAiModel> model = Make(Config());
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&model, &right, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string question = absl::StrCat("q", t, "-", i);
        absl::StatusOr<ModelReply> reply =
            model->Complete(Question(question), {});
        if (reply.ok() && reply->text == "echo " + question) ++right;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(right, 40);
}

TEST_F(OpenAiModelTest, KeyNeverInAnErrorOrALogLine) {
  // Servers that quote the key back in every way they can.
  std::atomic<int> scenario{0};
  server_.Handle([&scenario](const httplib::Request&,
                             httplib::Response& response) {
    const std::string quoted =
        absl::StrCat("Incorrect API key provided: ", kKey);
    switch (scenario.load()) {
      case 0:
        response.status = 401;
        response.set_content(
            Json{{"error", {{"message", quoted}, {"code", "invalid_api_key"}}}}
                .dump(),
            "application/json");
        break;
      case 1:
        response.status = 500;
        response.set_content(
            Json{{"error", {{"message", quoted}, {"code", kKey}}}}.dump(),
            "application/json");
        break;
      case 2:
        response.status = 429;
        response.set_content(quoted, "text/plain");
        break;
      case 3:
        response.set_content(quoted, "application/json");
        break;
      case 4:
        FakeChatServer::StreamEvents(
            response, {Json{{"error", {{"message", quoted}}}}.dump()});
        break;
      default:
        response.status = 400;
        response.set_content(
            Json{{"error", {{"message", quoted}, {"type", kKey}}}}.dump(),
            "application/json");
    }
  });
  std::unique_ptr<OpenAiModel> model = Make(Config());
  std::vector<std::string> messages;
  StderrCapture capture;
  for (scenario = 0; scenario <= 5; ++scenario) {
    absl::StatusOr<ModelReply> reply = model->Complete(Question(), {});
    EXPECT_FALSE(reply.ok()) << "scenario " << scenario.load();
    messages.emplace_back(reply.status().ToString());
  }
  const std::string logs = capture.Take();

  // The capture did see the failures (so an empty log cannot pass).
  EXPECT_THAT(logs, HasSubstr("model_call_failed"));
  EXPECT_THAT(logs, HasSubstr("invalid_api_key"));
  EXPECT_THAT(logs, Not(HasSubstr(kKey)));
  for (const std::string& message : messages) {
    EXPECT_THAT(message, Not(HasSubstr(kKey)));
  }
  // The key did go where it belongs.
  EXPECT_EQ(server_.requests()[0].authorization,
            absl::StrCat("Bearer ", kKey));
}

TEST(OpenAiModelCreateTest, RefusesUnusableConfigurationWithoutTheKey) {
  OpenAiModelConfig config;
  config.name = "bad";
  config.base_url = "http://127.0.0.1:1/v1";
  config.model = "m";
  config.api_key = std::string(kKey) + "\r\nX-Injected: 1";
  absl::StatusOr<std::unique_ptr<OpenAiModel>> model =
      OpenAiModel::Create(config);
  EXPECT_THAT(model, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(model.status().message()), Not(HasSubstr(kKey)));

  config.api_key = kKey;
  config.base_url = "file:///etc/passwd";
  EXPECT_THAT(OpenAiModel::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.base_url = "http://127.0.0.1:1/v1";
  config.model = "";
  EXPECT_THAT(OpenAiModel::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.model = "m";
  config.max_retries = 6;
  EXPECT_THAT(OpenAiModel::Create(config),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::runs
