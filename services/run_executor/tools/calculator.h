// The `calculator` built-in tool: arithmetic on decimal numbers with a real
// parser (+ - * / ^, parentheses, unary minus). Nothing is ever evaluated
// as code.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_CALCULATOR_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_CALCULATOR_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

inline constexpr size_t kMaxExpressionLength = 1024;
// Parentheses, unary signs and powers together.
inline constexpr int kMaxExpressionNesting = 64;

// Evaluates `expression`:
//   expression := term (('+' | '-') term)*
//   term       := unary (('*' | '/') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := primary ('^' unary)?        (right-associative: 2^3^2 = 512)
//   primary    := number | '(' expression ')'
//   number     := digits ['.' digits] | '.' digits
// so -2^2 = -4 and 2^-1 = 0.5; blanks between tokens are ignored.
// INVALID_ARGUMENT, with a message fit for the model, for: an empty or
// longer than kMaxExpressionLength expression, a syntax error (with its
// position), nesting deeper than kMaxExpressionNesting, division by zero,
// an overflow (a result that is not finite) or an undefined result (e.g.
// (-8)^0.5).
absl::StatusOr<double> EvaluateExpression(absl::string_view expression);

// Arguments {"expression": string}; result {"result": number} (an integer
// when the value is one). A bad expression is an error result. Stateless,
// thread-safe.
class CalculatorTool final : public Tool {
 public:
  CalculatorTool();
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override;

 private:
  const ToolDefinition definition_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_CALCULATOR_H_
