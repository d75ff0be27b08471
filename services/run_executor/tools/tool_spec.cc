#include "services/run_executor/tools/tool_spec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/tools/json_schema.h"

namespace bastion::runs {
namespace {

constexpr size_t kMaxToolNameLength = 64;
constexpr size_t kMaxEndpointLength = 255;

bool ValidToolName(const std::string& name) {
  if (name.empty() || name.size() > kMaxToolNameLength) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

bool ValidEndpoint(const std::string& endpoint) {
  if (endpoint.size() > kMaxEndpointLength) return false;
  for (char c : endpoint) {
    if (!absl::ascii_isgraph(c)) return false;
  }
  return true;
}

absl::Status SpecError(const v1::Agent& agent, const v1::ToolSpec& spec,
                       absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("registry: agent \"", agent.agent_id(), "\" tool \"",
                   absl::CHexEscape(spec.name()), "\": ", problem));
}

// user_input_fields: distinct properties of the parameters schema, at most
// kMaxUserInputFields, on a tool that neither needs approval nor runs
// outside.
absl::Status ValidateUserInputFields(const v1::Agent& agent,
                                     const v1::ToolSpec& spec) {
  if (spec.user_input_fields().empty()) return absl::OkStatus();
  if (spec.user_input_fields_size() > kMaxUserInputFields) {
    return SpecError(agent, spec,
                     absl::StrCat("at most ", kMaxUserInputFields,
                                  " user_input_fields"));
  }
  if (spec.requires_approval()) {
    return SpecError(agent, spec,
                     "user_input_fields and requires_approval exclude each "
                     "other (approved arguments must not change afterwards)");
  }
  if (spec.external_execution()) {
    return SpecError(agent, spec,
                     "user_input_fields and external_execution exclude each "
                     "other (the owner runs the call with its own inputs)");
  }
  // The schema parsed above; its top level is an object.
  const nlohmann::json schema = nlohmann::json::parse(
      spec.parameters_json_schema().empty() ? "{}"
                                            : spec.parameters_json_schema(),
      nullptr, /*allow_exceptions=*/false);
  const auto properties = schema.find("properties");
  std::set<std::string> seen;
  for (const std::string& field : spec.user_input_fields()) {
    if (!seen.insert(field).second) {
      return SpecError(agent, spec,
                       absl::StrCat("user input field \"",
                                    absl::CHexEscape(field),
                                    "\" is listed twice"));
    }
    if (properties == schema.end() || !properties->is_object() ||
        !properties->contains(field)) {
      return SpecError(agent, spec,
                       absl::StrCat("user input field \"",
                                    absl::CHexEscape(field),
                                    "\" is not a property of "
                                    "parameters_json_schema"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const v1::Agent& agent, const v1::ToolSpec& spec,
                          const std::set<std::string>& in_process) {
  if (!ValidToolName(spec.name())) {
    return SpecError(agent, spec, "the name must be 1-64 of A-Za-z0-9_-");
  }
  if (spec.external_execution()) {
    if (!spec.endpoint().empty()) {
      return SpecError(agent, spec,
                       "an external_execution tool is never called by "
                       "run-executor and has no endpoint");
    }
  } else if (spec.endpoint().empty()) {
    if (!IsBuiltinTool(spec.name()) && in_process.count(spec.name()) == 0) {
      return SpecError(
          agent, spec,
          absl::StrCat("no built-in tool has this name (built-ins: ",
                       absl::StrJoin(kBuiltinToolNames, ", "),
                       "); an external tool needs an endpoint"));
    }
  } else if (!ValidEndpoint(spec.endpoint())) {
    return SpecError(agent, spec,
                     "the endpoint must be host:port (at most 255 printable "
                     "characters, no blanks)");
  }
  if (spec.timeout_ms() < 0 || spec.timeout_ms() > kMaxToolTimeoutMs) {
    return SpecError(agent, spec,
                     absl::StrCat("timeout_ms must be 0 (default ",
                                  kDefaultToolTimeoutMs, ") to ",
                                  kMaxToolTimeoutMs));
  }
  if (spec.max_result_bytes() < 0 ||
      spec.max_result_bytes() > kMaxResultBytesLimit) {
    return SpecError(agent, spec,
                     absl::StrCat("max_result_bytes must be 0 (default ",
                                  kDefaultMaxResultBytes, ") to ",
                                  kMaxResultBytesLimit));
  }
  if (!spec.parameters_json_schema().empty()) {
    absl::StatusOr<JsonSchema> schema =
        JsonSchema::Parse(spec.parameters_json_schema());
    if (!schema.ok()) return SpecError(agent, spec, schema.status().message());
  }
  if (spec.audit_confirmation() && spec.requires_approval()) {
    return SpecError(agent, spec,
                     "audit_confirmation and requires_approval exclude each "
                     "other (an approval is the call's record already)");
  }
  return ValidateUserInputFields(agent, spec);
}

}  // namespace

bool IsBuiltinTool(absl::string_view name) {
  for (const char* builtin : kBuiltinToolNames) {
    if (name == builtin) return true;
  }
  return false;
}

absl::Duration ToolTimeout(const v1::ToolSpec& spec) {
  return absl::Milliseconds(spec.timeout_ms() > 0 ? spec.timeout_ms()
                                                  : kDefaultToolTimeoutMs);
}

size_t MaxResultBytes(const v1::ToolSpec& spec) {
  return static_cast<size_t>(spec.max_result_bytes() > 0
                                 ? spec.max_result_bytes()
                                 : kDefaultMaxResultBytes);
}

absl::Status ValidateAgentTools(const v1::Agent& agent,
                                const std::set<std::string>& in_process) {
  std::set<std::string> names;
  for (const v1::ToolSpec& spec : agent.tools()) {
    absl::Status valid = ValidateSpec(agent, spec, in_process);
    if (!valid.ok()) return valid;
    if (!names.insert(spec.name()).second) {
      return SpecError(agent, spec, "listed twice (tool names are unique "
                                    "within an agent)");
    }
  }
  return absl::OkStatus();
}

}  // namespace bastion::runs
