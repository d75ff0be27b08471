#include "services/run_executor/tools/tool_json.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/run_executor/tools/json_schema.h"

namespace bastion::runs {

using nlohmann::json;

absl::StatusOr<json> ArgumentsOf(const ToolInvocation& invocation) {
  if (absl::StripAsciiWhitespace(invocation.arguments_json).empty()) {
    return json::object();
  }
  absl::StatusOr<json> arguments =
      ParseBoundedJson(invocation.arguments_json, kMaxArgumentsBytes);
  if (!arguments.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("arguments: ", arguments.status().message()));
  }
  if (!arguments->is_object()) {
    return absl::InvalidArgumentError("arguments must be a JSON object");
  }
  return arguments;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const json& arguments,
                                                         const char* key) {
  auto found = arguments.find(key);
  if (found == arguments.end() || found->is_null()) {
    return std::optional<std::string>();
  }
  if (!found->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("arguments.", key, " must be a string"));
  }
  return std::optional<std::string>(found->get<std::string>());
}

std::string JsonText(const json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false,
                    json::error_handler_t::replace);
}

ToolOutcome JsonResult(const json& value) {
  return ToolOutcome{JsonText(value), /*is_error=*/false};
}

ToolOutcome ErrorResult(std::string message) {
  return ToolOutcome{std::move(message), /*is_error=*/true};
}

}  // namespace bastion::runs
