#include "services/run_executor/tools/calculator.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/run_executor/tools/tool_json.h"

namespace bastion::runs {
namespace {

// Largest magnitude below which every integer is exact in a double.
constexpr double kExactIntegers = 9007199254740992.0;  // 2^53

// One pass over the text; each method consumes what its rule matches.
// Not thread-safe; one per evaluation.
class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<double> Parse() {
    ASSIGN_OR_RETURN(double value, Expression());
    SkipBlanks();
    if (pos_ < text_.size()) return Unexpected();
    return value;
  }

 private:
  absl::StatusOr<double> Expression() {
    ASSIGN_OR_RETURN(double value, Term());
    while (true) {
      const char op = Peek();
      if (op != '+' && op != '-') return value;
      ++pos_;
      ASSIGN_OR_RETURN(double right, Term());
      ASSIGN_OR_RETURN(value, Finite(op == '+' ? value + right : value - right));
    }
  }

  absl::StatusOr<double> Term() {
    ASSIGN_OR_RETURN(double value, Unary());
    while (true) {
      const char op = Peek();
      if (op != '*' && op != '/') return value;
      ++pos_;
      ASSIGN_OR_RETURN(double right, Unary());
      if (op == '/' && right == 0) {
        return absl::InvalidArgumentError("division by zero");
      }
      ASSIGN_OR_RETURN(value, Finite(op == '*' ? value * right : value / right));
    }
  }

  absl::StatusOr<double> Unary() {
    if (++depth_ > kMaxExpressionNesting) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expression nested deeper than ", kMaxExpressionNesting, " levels"));
    }
    absl::StatusOr<double> value;
    const char sign = Peek();
    if (sign == '-' || sign == '+') {
      ++pos_;
      value = Unary();
      if (value.ok() && sign == '-') value = -*value;
    } else {
      value = Power();
    }
    --depth_;
    return value;
  }

  absl::StatusOr<double> Power() {
    ASSIGN_OR_RETURN(double base, Primary());
    if (Peek() != '^') return base;
    ++pos_;
    ASSIGN_OR_RETURN(double exponent, Unary());
    if (base == 0 && exponent < 0) {
      return absl::InvalidArgumentError("division by zero");
    }
    return Finite(std::pow(base, exponent));
  }

  absl::StatusOr<double> Primary() {
    const char next = Peek();
    if (next == '(') {
      const size_t open = pos_++;
      ASSIGN_OR_RETURN(double value, Expression());
      if (Peek() != ')') {
        if (pos_ < text_.size()) return Unexpected();
        return absl::InvalidArgumentError(absl::StrCat(
            "missing ')' for the '(' at position ", open + 1));
      }
      ++pos_;
      return value;
    }
    if (absl::ascii_isdigit(next) || next == '.') return Number();
    if (pos_ >= text_.size()) {
      return absl::InvalidArgumentError("expression ends where a number was "
                                        "expected");
    }
    return Unexpected();
  }

  absl::StatusOr<double> Number() {
    const size_t start = pos_;
    size_t digits = 0;
    while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) {
      ++pos_;
      ++digits;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      while (pos_ < text_.size() && absl::ascii_isdigit(text_[pos_])) {
        ++pos_;
        ++digits;
      }
    }
    double value = 0;
    if (digits == 0 ||
        !absl::SimpleAtod(text_.substr(start, pos_ - start), &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed number at position ", start + 1));
    }
    return Finite(value);
  }

  // The next non-blank character, or '\0' at the end.
  char Peek() {
    SkipBlanks();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  void SkipBlanks() {
    while (pos_ < text_.size() && absl::ascii_isspace(text_[pos_])) ++pos_;
  }

  absl::Status Unexpected() const {
    const unsigned char c = text_[pos_];
    if (absl::ascii_isprint(c)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected '", std::string(1, c), "' at position ", pos_ + 1));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected character at position ", pos_ + 1));
  }

  static absl::StatusOr<double> Finite(double value) {
    if (std::isnan(value)) {
      return absl::InvalidArgumentError(
          "undefined result (e.g. a fractional power of a negative number)");
    }
    if (std::isinf(value)) {
      return absl::InvalidArgumentError("result too large (overflow)");
    }
    return value;
  }

  absl::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

constexpr char kSchema[] = R"json({
  "type": "object",
  "properties": {
    "expression": {
      "type": "string",
      "description": "e.g. (2 + 3) * -4 / 2 ^ 3",
      "maxLength": 1024
    }
  },
  "required": ["expression"],
  "additionalProperties": false
})json";

}  // namespace

absl::StatusOr<double> EvaluateExpression(absl::string_view expression) {
  if (expression.size() > kMaxExpressionLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expression longer than ", kMaxExpressionLength, " characters"));
  }
  if (absl::StripAsciiWhitespace(expression).empty()) {
    return absl::InvalidArgumentError("empty expression");
  }
  return Parser(expression).Parse();
}

CalculatorTool::CalculatorTool()
    : definition_{"calculator",
                  "Evaluates an arithmetic expression exactly as written: "
                  "decimal numbers, + - * / ^ (power), parentheses and "
                  "unary minus.",
                  kSchema} {}

absl::StatusOr<ToolOutcome> CalculatorTool::Invoke(
    const ToolInvocation& invocation) const {
  absl::StatusOr<nlohmann::json> arguments = ArgumentsOf(invocation);
  if (!arguments.ok()) return ErrorResult(std::string(arguments.status().message()));
  absl::StatusOr<std::optional<std::string>> expression =
      OptionalString(*arguments, "expression");
  if (!expression.ok()) return ErrorResult(std::string(expression.status().message()));
  if (!expression->has_value()) {
    return ErrorResult("arguments.expression is required");
  }
  absl::StatusOr<double> value = EvaluateExpression(**expression);
  if (!value.ok()) {
    return ErrorResult(absl::StrCat("cannot evaluate: ", value.status().message()));
  }
  nlohmann::json result;
  if (std::trunc(*value) == *value && std::fabs(*value) < kExactIntegers) {
    result["result"] = static_cast<int64_t>(*value);
  } else {
    result["result"] = *value;
  }
  return JsonResult(result);
}

}  // namespace bastion::runs
