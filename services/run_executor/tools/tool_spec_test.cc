// Tests the registry's rules for ToolSpecs: every refusal names the agent
// and the tool.
#include "services/run_executor/tools/tool_spec.h"

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

v1::Agent AgentWith(const std::string& tools_text) {
  v1::Agent agent;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      "agent_id: 'support' " + tools_text, &agent))
      << tools_text;
  return agent;
}

TEST(ValidateAgentToolsTest, AcceptsBuiltinsAndExternalTools) {
  EXPECT_THAT(ValidateAgentTools(AgentWith(R"(
      tools { name: 'calculator' }
      tools { name: 'current_time' timeout_ms: 500 }
      tools { name: 'memory_search' max_result_bytes: 1024 }
      tools { name: 'memory_write' }
      tools { name: 'lookup_order' endpoint: '127.0.0.1:7005'
              parameters_json_schema: '{"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}' }
      tools { name: 'calculator-remote' endpoint: 'dns:///tools.internal:443'
              timeout_ms: 600000 max_result_bytes: 1048576 })")),
              IsOk());
  EXPECT_THAT(ValidateAgentTools(AgentWith("")), IsOk());
}

TEST(ValidateAgentToolsTest, RefusesBadSpecsNamingAgentAndTool) {
  struct Case {
    const char* tools;
    const char* message;
  };
  const Case cases[] = {
      {"tools { name: 'weather' }",
       "agent \"support\" tool \"weather\": no built-in tool has this name"},
      {"tools { name: '' }", "tool \"\": the name must be"},
      {"tools { name: 'has space' endpoint: 'h:1' }", "the name must be"},
      {"tools { name: 'dotted.name' endpoint: 'h:1' }", "the name must be"},
      {"tools { name: 'calculator' } tools { name: 'calculator' }",
       "tool \"calculator\": listed twice"},
      {"tools { name: 'x' endpoint: 'h:1' } tools { name: 'x' endpoint: 'h:2' }",
       "tool \"x\": listed twice"},
      {"tools { name: 'x' endpoint: 'host :1' }", "the endpoint must be"},
      {"tools { name: 'x' endpoint: 'host:1\\n' }", "the endpoint must be"},
      {"tools { name: 'calculator' timeout_ms: -1 }",
       "tool \"calculator\": timeout_ms must be"},
      {"tools { name: 'calculator' timeout_ms: 600001 }", "timeout_ms must be"},
      {"tools { name: 'calculator' max_result_bytes: -5 }",
       "max_result_bytes must be"},
      {"tools { name: 'calculator' max_result_bytes: 1048577 }",
       "max_result_bytes must be"},
      {"tools { name: 'x' endpoint: 'h:1' parameters_json_schema: '{' }",
       "tool \"x\": invalid parameters schema"},
      {"tools { name: 'x' endpoint: 'h:1' "
       "parameters_json_schema: '{\"type\": \"string\"}' }",
       "tool \"x\": invalid parameters schema at schema.type"},
      {"tools { name: 'calculator' "
       "parameters_json_schema: '{\"type\": \"object\", \"required\": 1}' }",
       "tool \"calculator\": invalid parameters schema at schema.required"},
  };
  for (const Case& c : cases) {
    absl::Status status = ValidateAgentTools(AgentWith(c.tools));
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.tools;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.tools;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("registry: agent \"support\" tool"))
        << c.tools;
  }
  const std::string long_endpoint(256, 'h');
  EXPECT_THAT(ValidateAgentTools(AgentWith(
                  "tools { name: 'x' endpoint: '" + long_endpoint + "' }")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string long_name(65, 'n');
  EXPECT_THAT(ValidateAgentTools(AgentWith(
                  "tools { name: '" + long_name + "' endpoint: 'h:1' }")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ValidateAgentToolsTest, PausesOtherThanApproval) {
  constexpr char kSchema[] =
      "parameters_json_schema: '{\"type\": \"object\", \"properties\": "
      "{\"to\": {\"type\": \"string\"}, \"body\": {}}}' ";
  EXPECT_THAT(ValidateAgentTools(AgentWith(
                  std::string("tools { name: 'calculator' ") + kSchema +
                  "user_input_fields: 'to' user_input_fields: 'body' "
                  "requires_confirmation: true audit_confirmation: true }"
                  "tools { name: 'deploy' external_execution: true }")),
              IsOk());
  struct Case {
    std::string tools;
    const char* message;
  };
  const Case cases[] = {
      {std::string("tools { name: 'calculator' ") + kSchema +
           "user_input_fields: 'cc' }",
       "user input field \"cc\" is not a property of parameters_json_schema"},
      {"tools { name: 'calculator' user_input_fields: 'to' }",
       "user input field \"to\" is not a property"},
      {std::string("tools { name: 'calculator' ") + kSchema +
           "user_input_fields: 'to' user_input_fields: 'to' }",
       "user input field \"to\" is listed twice"},
      {std::string("tools { name: 'calculator' ") + kSchema +
           "user_input_fields: 'to' requires_approval: true }",
       "user_input_fields and requires_approval exclude each other"},
      {std::string("tools { name: 'deploy' external_execution: true ") +
           kSchema + "user_input_fields: 'to' }",
       "user_input_fields and external_execution exclude each other"},
      {"tools { name: 'deploy' external_execution: true endpoint: 'h:1' }",
       "an external_execution tool is never called by run-executor"},
      {"tools { name: 'calculator' audit_confirmation: true "
       "requires_approval: true }",
       "audit_confirmation and requires_approval exclude each other"},
  };
  for (const Case& c : cases) {
    absl::Status status = ValidateAgentTools(AgentWith(c.tools));
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << c.tools;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.tools;
  }
  std::string many = "parameters_json_schema: '{\"type\": \"object\", "
                     "\"properties\": {";
  std::string fields;
  for (int i = 0; i <= kMaxUserInputFields; ++i) {
    many += absl::StrCat(i == 0 ? "" : ", ", "\"f", i, "\": {}");
    fields += absl::StrCat(" user_input_fields: 'f", i, "'");
  }
  many += "}}' ";
  absl::Status status = ValidateAgentTools(
      AgentWith("tools { name: 'calculator' " + many + fields + " }"));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("at most 16 user_input_fields"));
}

TEST(ValidateAgentToolsTest, InProcessNamesBesideTheBuiltins) {
  const v1::Agent agent = AgentWith("tools { name: 'note' }");
  EXPECT_THAT(ValidateAgentTools(agent),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateAgentTools(agent, {"note"}), IsOk());
}

TEST(ToolSpecTest, DefaultsApply) {
  v1::ToolSpec spec;
  EXPECT_EQ(ToolTimeout(spec), absl::Seconds(10));
  EXPECT_EQ(MaxResultBytes(spec), 64u * 1024);
  spec.set_timeout_ms(250);
  spec.set_max_result_bytes(100);
  EXPECT_EQ(ToolTimeout(spec), absl::Milliseconds(250));
  EXPECT_EQ(MaxResultBytes(spec), 100u);
}

}  // namespace
}  // namespace bastion::runs
