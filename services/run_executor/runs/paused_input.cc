#include "services/run_executor/runs/paused_input.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/tools/json_schema.h"
#include "services/run_executor/tools/tool_spec.h"

namespace bastion::runs {
namespace {

// The schema of property `field` in the spec's parameters schema; any value
// when the spec or the property is gone.
nlohmann::json FieldSchema(const v1::ToolSpec* spec, const std::string& field) {
  if (spec == nullptr || spec->parameters_json_schema().empty()) {
    return nlohmann::json::object();
  }
  const nlohmann::json schema =
      nlohmann::json::parse(spec->parameters_json_schema(), nullptr,
                            /*allow_exceptions=*/false);
  if (!schema.is_object()) return nlohmann::json::object();
  const auto properties = schema.find("properties");
  if (properties == schema.end() || !properties->is_object()) {
    return nlohmann::json::object();
  }
  const auto found = properties->find(field);
  return found == properties->end() ? nlohmann::json::object() : *found;
}

}  // namespace

absl::StatusOr<std::string> CompleteArguments(
    const v1::ToolSpec* spec, const data::v1::PausedToolCall& paused,
    const v1::ToolDecision& decision) {
  if (decision.user_input_json().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tool call ", paused.tool_call_id(),
        " needs user_input_json with its fields: ",
        absl::StrJoin(paused.user_input_fields(), ", ")));
  }
  absl::StatusOr<nlohmann::json> input =
      ParseBoundedJson(decision.user_input_json(), kMaxUserInputBytes);
  if (!input.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user_input_json of tool call ", paused.tool_call_id(), ": ",
        input.status().message()));
  }
  if (!input->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "user_input_json of tool call ", paused.tool_call_id(),
        " must be a JSON object"));
  }
  const std::set<std::string> fields(paused.user_input_fields().begin(),
                                     paused.user_input_fields().end());
  for (const auto& [key, value] : input->items()) {
    if (fields.count(key) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tool call ", paused.tool_call_id(), " takes no user input field \"",
          absl::CHexEscape(key), "\""));
    }
  }
  // One schema over exactly the fields: each value checked against its
  // property's schema, every field required, no other key.
  nlohmann::json check = {{"type", "object"},
                          {"properties", nlohmann::json::object()},
                          {"required", nlohmann::json::array()},
                          {"additionalProperties", false}};
  for (const std::string& field : fields) {
    if (!input->contains(field)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tool call ", paused.tool_call_id(), " needs user input field \"",
          field, "\""));
    }
    check["properties"][field] = FieldSchema(spec, field);
    check["required"].push_back(field);
  }
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(check.dump());
  if (!schema.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the schema of tool ", paused.tool_name(), " cannot check user input"));
  }
  if (absl::Status valid = schema->CheckParsed(*input); !valid.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "user input of tool call ", paused.tool_call_id(), ": ",
        valid.message()));
  }
  absl::StatusOr<nlohmann::json> arguments = ParseBoundedJson(
      paused.arguments_json().empty() ? "{}" : paused.arguments_json(),
      kMaxArgumentsBytes);
  if (!arguments.ok() || !arguments->is_object()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the model's arguments of tool call ", paused.tool_call_id(),
        " are not a JSON object; refuse the call"));
  }
  for (const auto& [key, value] : input->items()) (*arguments)[key] = value;
  std::string merged = arguments->dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (merged.size() > kMaxArgumentsBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the arguments of tool call ", paused.tool_call_id(),
        " with the user input exceed ", kMaxArgumentsBytes, " bytes"));
  }
  return merged;
}

absl::StatusOr<ToolOutcome> ExternalResult(
    const v1::ToolSpec* spec, const data::v1::PausedToolCall& paused,
    const v1::ToolDecision& decision) {
  const size_t limit = spec != nullptr
                           ? MaxResultBytes(*spec)
                           : static_cast<size_t>(kDefaultMaxResultBytes);
  if (decision.external_result().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tool call ", paused.tool_call_id(), " of ", paused.tool_name(),
        " runs outside Bastion: continue with its external_result"));
  }
  if (decision.external_result().size() > limit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "external_result of tool call ", paused.tool_call_id(), " has ",
        decision.external_result().size(), " bytes, more than its limit of ",
        limit));
  }
  return ToolOutcome{decision.external_result(), decision.external_is_error()};
}

}  // namespace bastion::runs
