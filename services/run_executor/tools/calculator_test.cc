// Tests the calculator: precedence and associativity, every refusal, and
// the tool's results and error results.
#include "services/run_executor/tools/calculator.h"

#include <string>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

TEST(EvaluateExpressionTest, Arithmetic) {
  struct Case {
    const char* expression;
    double value;
  };
  const Case cases[] = {
      {"1 + 2 * 3", 7},
      {"(1 + 2) * 3", 9},
      {"10 - 4 - 3", 3},          // left-associative
      {"100 / 10 / 5", 2},        // left-associative
      {"2 ^ 3 ^ 2", 512},         // right-associative
      {"-2 ^ 2", -4},             // unary minus binds looser than ^
      {"(-2) ^ 2", 4},
      {"2 ^ -1", 0.5},
      {"--3", 3},
      {"-(4 - 6)", 2},
      {"+5", 5},
      {"3 * -2", -6},
      {"1.5 + .25", 1.75},
      {"7.", 7},
      {"  12\t/\n4 ", 3},
      {"0.1 + 0.2", 0.30000000000000004},
      {"((((((1))))))", 1},
      {"2^0.5 * 2^0.5", 2.0000000000000004},
      {"007", 7},
  };
  for (const Case& c : cases) {
    absl::StatusOr<double> value = EvaluateExpression(c.expression);
    ASSERT_THAT(value, IsOk()) << c.expression;
    EXPECT_DOUBLE_EQ(*value, c.value) << c.expression;
  }
}

TEST(EvaluateExpressionTest, RefusesBadExpressions) {
  struct Case {
    std::string expression;
    const char* message;
  };
  const Case cases[] = {
      {"", "empty expression"},
      {"   ", "empty expression"},
      {"1 / 0", "division by zero"},
      {"1 / (2 - 2)", "division by zero"},
      {"0 ^ -1", "division by zero"},
      {"10 ^ 400", "overflow"},
      {"1e308 * 10", "unexpected 'e' at position 2"},
      {"(-8) ^ 0.5", "undefined result"},
      {"1 +", "expression ends where a number was expected"},
      {"(1 + 2", "missing ')'"},
      {"(1 2)", "unexpected '2' at position 4"},
      {"1 + 2)", "unexpected ')' at position 6"},
      {"2(3)", "unexpected '('"},
      {"1..2", "unexpected '.'"},
      {"1.2.3", "unexpected '.' at position 4"},
      {".", "malformed number at position 1"},
      {"abs(1)", "unexpected 'a' at position 1"},
      {"__import__('os')", "unexpected '_'"},
      {"1; 2", "unexpected ';'"},
      {"2 ** 3", "unexpected '*'"},
      {"1 + \x01", "unexpected character at position 5"},
      {"*", "unexpected '*' at position 1"},
      {std::string(kMaxExpressionLength + 1, '1'), "longer than"},
      {std::string(kMaxExpressionNesting + 1, '(') + "1" +
           std::string(kMaxExpressionNesting + 1, ')'),
       "nested deeper"},
      {std::string(kMaxExpressionNesting + 1, '-') + "1", "nested deeper"},
      {"9" + std::string(400, '9') + "." , "overflow"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<double> value = EvaluateExpression(c.expression);
    EXPECT_THAT(value, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.expression;
    EXPECT_THAT(std::string(value.status().message()), HasSubstr(c.message))
        << c.expression;
  }
  // Just inside the bounds.
  std::string longest;
  while (longest.size() + 2 < kMaxExpressionLength) longest += "1+";
  longest += "1 ";
  ASSERT_EQ(longest.size(), kMaxExpressionLength);
  EXPECT_THAT(EvaluateExpression(longest), IsOk());
  EXPECT_THAT(EvaluateExpression(std::string(kMaxExpressionNesting - 1, '(') +
                                 "1" +
                                 std::string(kMaxExpressionNesting - 1, ')')),
              IsOk());
}

ToolOutcome Calculate(const std::string& arguments_json) {
  ToolInvocation invocation;
  invocation.arguments_json = arguments_json;
  absl::StatusOr<ToolOutcome> outcome = CalculatorTool().Invoke(invocation);
  EXPECT_THAT(outcome, IsOk());
  return outcome.ok() ? *outcome : ToolOutcome{};
}

TEST(CalculatorToolTest, AnswersWithTheResult) {
  ToolOutcome outcome = Calculate(R"({"expression": "(2 + 3) * 4"})");
  EXPECT_FALSE(outcome.is_error);
  EXPECT_EQ(outcome.content, R"({"result":20})");
  outcome = Calculate(R"({"expression": "1 / 4"})");
  EXPECT_EQ(outcome.content, R"({"result":0.25})");
  outcome = Calculate(R"({"expression": "2 ^ 60"})");
  EXPECT_EQ(outcome.content, R"({"result":1.152921504606847e+18})");
}

TEST(CalculatorToolTest, BadInputIsAnErrorResult) {
  ToolOutcome outcome = Calculate(R"({"expression": "1 / 0"})");
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content, "cannot evaluate: division by zero");
  EXPECT_TRUE(Calculate(R"({})").is_error);
  EXPECT_TRUE(Calculate(R"({"expression": 12})").is_error);
  EXPECT_TRUE(Calculate(R"([1])").is_error);
  EXPECT_TRUE(Calculate("not json").is_error);
}

TEST(CalculatorToolTest, DeclaresItsSchema) {
  CalculatorTool tool;
  EXPECT_EQ(tool.definition().name, "calculator");
  EXPECT_THAT(tool.definition().parameters_json_schema,
              HasSubstr("\"required\": [\"expression\"]"));
}

}  // namespace
}  // namespace bastion::runs
