// Tests which model specs the registry accepts and which references a
// component may use, each refusal with its code and a message naming what
// is wrong.
#include "services/run_executor/model/model_specs.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

ModelSpecs Parse(const std::string& text) {
  v1::Registry registry;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &registry));
  return registry.models();
}

std::string MessageOf(const absl::Status& status) {
  return std::string(status.message());
}

TEST(ValidateModelSpecsTest, AcceptsScriptedAndOpenAiSpecs) {
  EXPECT_THAT(ValidateModelSpecs(Parse(R"pb(
                models {
                  name: "scripted:support"
                  scripted {
                    rules {
                      input_contains: "refund"
                      tool_calls { tool_name: "lookup_order" arguments_json: '{"q": "{input}"}' }
                    }
                    rules { after_tool: "lookup_order" reply: "Found: {tool_result}" }
                    rules { after_tool: "*" reply: "{tool_results}" }
                  }
                }
                models {
                  name: "local-llama"
                  openai {
                    base_url: "http://127.0.0.1:11434/v1"
                    model: "llama3.1:8b"
                    api_key_env: "OLLAMA_KEY"
                    stream: false
                    connect_timeout_ms: 1000
                    timeout_ms: 60000
                    max_retries: 5
                    temperature: 0.2
                    max_tokens: 512
                  }
                }
              )pb")),
              IsOk());
}

TEST(ValidateModelSpecsTest, RefusesBadNamesDuplicatesAndBuiltins) {
  for (const char* text : {
           R"pb(models { name: "" scripted {} })pb",
           R"pb(models { name: "has space" scripted {} })pb",
           R"pb(models { name: "../x" scripted {} })pb",
           R"pb(models { name: "a" scripted {} } models { name: "a" scripted {} })pb",
           R"pb(models { name: "scripted:echo" scripted {} })pb",
           R"pb(models { name: "openai:gpt-4o" openai { model: "gpt-4o" } })pb",
           R"pb(models { name: "nothing" })pb",
       }) {
    EXPECT_THAT(ValidateModelSpecs(Parse(text)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << text;
  }
  EXPECT_THAT(
      ValidateModelSpecs(Parse(
          std::string(R"pb(models { name: ")pb") + std::string(65, 'a') +
          R"pb(" scripted {} })pb")),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateModelSpecsTest, RefusesBadScriptedRulesNamingTheRule) {
  absl::Status silent = ValidateModelSpecs(Parse(R"pb(
    models { name: "s" scripted { rules { reply: "ok" } rules { input_contains: "x" } } }
  )pb"));
  EXPECT_THAT(silent, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MessageOf(silent), HasSubstr("\"s\": rule 2 answers nothing"));

  for (const char* text : {
           R"pb(models { name: "s" scripted { rules { after_tool: "a b" reply: "x" } } })pb",
           R"pb(models { name: "s" scripted { rules { tool_calls { tool_name: "" } } } })pb",
           R"pb(models { name: "s" scripted { rules { tool_calls { tool_name: "t" arguments_json: "[]" } } } })pb",
           R"pb(models { name: "s" scripted { rules { tool_calls { tool_name: "t" arguments_json: "{oops" } } } })pb",
           R"pb(models { name: "s" scripted { word_delay_ms: -1 } })pb",
           R"pb(models { name: "s" scripted { word_delay_ms: 1001 } })pb",
       }) {
    EXPECT_THAT(ValidateModelSpecs(Parse(text)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << text;
  }
}

TEST(ValidateModelSpecsTest, RefusesBadOpenAiFieldsNamingTheField) {
  struct Case {
    const char* openai;
    const char* field;
  };
  for (const Case& c : {
           Case{"", "openai.model is required"},
           Case{R"pb(model: "m" base_url: "ftp://host/v1")pb", "base_url"},
           Case{R"pb(model: "m" base_url: "https://user:pw@host/v1")pb",
                "base_url"},
           Case{R"pb(model: "m" base_url: "https://host/v1?key=1")pb",
                "base_url"},
           Case{R"pb(model: "m" base_url: "https://")pb", "base_url"},
           Case{R"pb(model: "m" api_key_env: "1BAD")pb", "api_key_env"},
           Case{R"pb(model: "m" api_key_env: "A-B")pb", "api_key_env"},
           Case{R"pb(model: "m" connect_timeout_ms: -1)pb",
                "connect_timeout_ms"},
           Case{R"pb(model: "m" timeout_ms: 3600001)pb", "timeout_ms"},
           Case{R"pb(model: "m" max_retries: 6)pb", "max_retries"},
           Case{R"pb(model: "m" max_retries: -1)pb", "max_retries"},
           Case{R"pb(model: "m" temperature: 2.5)pb", "temperature"},
           Case{R"pb(model: "m" max_tokens: -5)pb", "max_tokens"},
           Case{R"pb(model: "has space")pb", "openai.model"},
       }) {
    const absl::Status status = ValidateModelSpecs(Parse(
        absl::StrCat(R"pb(models { name: "remote" openai { )pb", c.openai,
                     " } }")));
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.openai;
    EXPECT_THAT(MessageOf(status), HasSubstr("\"remote\"")) << c.openai;
    EXPECT_THAT(MessageOf(status), HasSubstr(c.field)) << c.openai;
  }
}

TEST(ValidateModelSpecsTest, BaseUrlErrorsDoNotRepeatTheUrl) {
  const absl::Status status = ValidateModelSpecs(Parse(R"pb(
    models { name: "r" openai { model: "m" base_url: "https://me:hunter2@host/v1" } }
  )pb"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MessageOf(status), ::testing::Not(HasSubstr("hunter2")));
}

TEST(CheckModelReferenceTest, KnowsBuiltinsAndRegisteredNames) {
  const ModelSpecs specs = Parse(R"pb(models { name: "mine" scripted {} })pb");
  EXPECT_THAT(CheckModelReference(specs, "mine"), IsOk());
  EXPECT_THAT(CheckModelReference(specs, "scripted:echo"), IsOk());
  EXPECT_THAT(CheckModelReference(specs, "openai:gpt-4o-mini"), IsOk());
  EXPECT_THAT(CheckModelReference(specs, "openai:llama3.1:8b"), IsOk());
  EXPECT_THAT(CheckModelReference(specs, "openai:meta-llama/Llama-3-8B"),
              IsOk());
}

TEST(CheckModelReferenceTest, UnknownIsNotFoundNamingTheReference) {
  const absl::Status status =
      CheckModelReference(Parse(""), "scripted:missing");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(MessageOf(status), HasSubstr("\"scripted:missing\""));
}

TEST(CheckModelReferenceTest, MalformedIsInvalidArgument) {
  for (const char* reference :
       {"", "openai:", "openai:has space", "bad/name", "with space"}) {
    EXPECT_THAT(CheckModelReference(Parse(""), reference),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << reference;
  }
  EXPECT_THAT(CheckModelReference(Parse(""), std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      CheckModelReference(Parse(""), "openai:" + std::string(129, 'm')),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(BuiltinOpenAiModelTest, ExtractsTheModelPart) {
  EXPECT_EQ(BuiltinOpenAiModel("openai:gpt-4o"), "gpt-4o");
  EXPECT_EQ(BuiltinOpenAiModel("scripted:echo"), std::nullopt);
  EXPECT_EQ(BuiltinOpenAiModel("openai:"), std::nullopt);
}

}  // namespace
}  // namespace bastion::runs
