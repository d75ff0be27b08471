// JSON in and out of the built-in tools: their (already checked) arguments
// as a JSON object, and results and errors as ToolOutcomes.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_JSON_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_JSON_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// The invocation's arguments as a JSON object (empty text is {}).
// INVALID_ARGUMENT if they are not a JSON object within the size bounds.
absl::StatusOr<nlohmann::json> ArgumentsOf(const ToolInvocation& invocation);

// arguments[key] when it is a string; nullopt when absent. An error when it
// is present with another type (a registry schema looser than the tool's).
absl::StatusOr<std::optional<std::string>> OptionalString(
    const nlohmann::json& arguments, const char* key);

// Compact JSON text; invalid UTF-8 (never expected) is replaced, not thrown.
std::string JsonText(const nlohmann::json& value);

// A successful result carrying `value` as JSON text.
ToolOutcome JsonResult(const nlohmann::json& value);

// A failure the model should hear about.
ToolOutcome ErrorResult(std::string message);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_JSON_H_
