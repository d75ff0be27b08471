#include "services/run_executor/model/model_specs.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxOpenAiReferenceModelLength = 128;
constexpr size_t kMaxModelFieldLength = 256;
constexpr size_t kMaxBaseUrlLength = 2048;
constexpr size_t kMaxEnvNameLength = 128;
constexpr int kMaxConnectTimeoutMs = 600 * 1000;
constexpr int kMaxTimeoutMs = 3600 * 1000;
constexpr int kMaxRetries = 5;
constexpr double kMaxTemperature = 2.0;

bool AllOf(absl::string_view text, absl::string_view extra) {
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && extra.find(c) == absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsModelName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength && AllOf(name, "_.:-");
}

bool IsToolName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength && AllOf(name, "_.-");
}

bool IsEnvName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxEnvNameLength &&
         !absl::ascii_isdigit(name[0]) && AllOf(name, "_");
}

bool IsPrintable(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isgraph(c)) return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view model, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("registry: model \"", model, "\": ", what));
}

absl::Status ValidateScripted(const std::string& name,
                              const v1::ScriptedModel& scripted) {
  if (scripted.word_delay_ms() < 0 || scripted.word_delay_ms() > 1000) {
    return Invalid(name, absl::StrCat("word_delay_ms ",
                                      scripted.word_delay_ms(),
                                      " is not 0 to 1000"));
  }
  for (int i = 0; i < scripted.rules_size(); ++i) {
    const v1::ScriptedRule& rule = scripted.rules(i);
    const std::string where = absl::StrCat("rule ", i + 1);
    if (rule.reply().empty() && rule.tool_calls().empty()) {
      return Invalid(name, absl::StrCat(where,
                                        " answers nothing (set reply or "
                                        "tool_calls)"));
    }
    if (!rule.after_tool().empty() && rule.after_tool() != "*" &&
        !IsToolName(rule.after_tool())) {
      return Invalid(name, absl::StrCat(where, " after_tool \"",
                                        rule.after_tool(),
                                        "\" is neither \"*\" nor a tool name"));
    }
    for (int j = 0; j < rule.tool_calls_size(); ++j) {
      const v1::ScriptedToolCall& call = rule.tool_calls(j);
      if (!IsToolName(call.tool_name())) {
        return Invalid(name, absl::StrCat(where, " tool call ", j + 1,
                                          ": tool_name \"", call.tool_name(),
                                          "\" is not a tool name "
                                          "([A-Za-z0-9_.-]{1,64})"));
      }
      if (call.arguments_json().empty()) continue;
      const nlohmann::json arguments = nlohmann::json::parse(
          call.arguments_json(), /*cb=*/nullptr, /*allow_exceptions=*/false);
      if (!arguments.is_object()) {
        return Invalid(name, absl::StrCat(where, " tool call ", j + 1,
                                          ": arguments_json is not a JSON "
                                          "object"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOpenAi(const std::string& name,
                            const v1::OpenAiModel& openai) {
  if (openai.model().empty()) {
    return Invalid(name, "openai.model is required");
  }
  if (openai.model().size() > kMaxModelFieldLength ||
      !IsPrintable(openai.model())) {
    return Invalid(name, absl::StrCat("openai.model must be 1-",
                                      kMaxModelFieldLength,
                                      " printable characters"));
  }
  if (!openai.base_url().empty()) {
    RETURN_IF_ERROR(CheckBaseUrl(
        absl::StrCat("registry: model \"", name, "\": openai.base_url"),
        openai.base_url()));
  }
  if (!openai.api_key_env().empty() && !IsEnvName(openai.api_key_env())) {
    return Invalid(name,
                   "openai.api_key_env must name an environment variable "
                   "([A-Za-z_][A-Za-z0-9_]*)");
  }
  if (openai.connect_timeout_ms() < 0 ||
      openai.connect_timeout_ms() > kMaxConnectTimeoutMs) {
    return Invalid(name, absl::StrCat("openai.connect_timeout_ms must be 0..",
                                      kMaxConnectTimeoutMs));
  }
  if (openai.timeout_ms() < 0 || openai.timeout_ms() > kMaxTimeoutMs) {
    return Invalid(name,
                   absl::StrCat("openai.timeout_ms must be 0..", kMaxTimeoutMs));
  }
  if (openai.max_retries() < 0 || openai.max_retries() > kMaxRetries) {
    return Invalid(name,
                   absl::StrCat("openai.max_retries must be 0..", kMaxRetries));
  }
  if (openai.has_temperature() &&
      !(openai.temperature() >= 0 && openai.temperature() <= kMaxTemperature)) {
    return Invalid(name, "openai.temperature must be 0..2");
  }
  if (openai.max_tokens() < 0) {
    return Invalid(name, "openai.max_tokens must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateModelSpecs(const ModelSpecs& specs) {
  std::set<absl::string_view> names;
  for (const v1::ModelSpec& spec : specs) {
    const std::string& name = spec.name();
    if (!IsModelName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry: invalid model name \"", name,
                       "\" (1-64 of A-Za-z0-9_.:-)"));
    }
    if (name == kEchoModelName ||
        absl::StartsWith(name, kOpenAiModelPrefix)) {
      return Invalid(name, "the name is reserved for a built-in model");
    }
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry: duplicate model name \"", name, "\""));
    }
    switch (spec.kind_case()) {
      case v1::ModelSpec::kScripted:
        RETURN_IF_ERROR(ValidateScripted(name, spec.scripted()));
        break;
      case v1::ModelSpec::kOpenai:
        RETURN_IF_ERROR(ValidateOpenAi(name, spec.openai()));
        break;
      case v1::ModelSpec::KIND_NOT_SET:
        return Invalid(name, "set exactly one of scripted or openai");
    }
  }
  return absl::OkStatus();
}

std::optional<absl::string_view> BuiltinOpenAiModel(
    absl::string_view reference) {
  if (!absl::ConsumePrefix(&reference, kOpenAiModelPrefix)) {
    return std::nullopt;
  }
  if (reference.empty() || reference.size() > kMaxOpenAiReferenceModelLength ||
      !AllOf(reference, "_.:/-")) {
    return std::nullopt;
  }
  return reference;
}

absl::Status CheckModelReference(const ModelSpecs& specs,
                                 absl::string_view reference) {
  if (reference.empty()) {
    return absl::InvalidArgumentError("names no model");
  }
  if (absl::StartsWith(reference, kOpenAiModelPrefix)) {
    if (!BuiltinOpenAiModel(reference).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model \"", reference,
                       "\" is malformed (openai:<model>, <model> 1-",
                       kMaxOpenAiReferenceModelLength, " of A-Za-z0-9_.:/-)"));
    }
    return absl::OkStatus();
  }
  if (!IsModelName(reference)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model \"", reference,
                     "\" is malformed (1-64 of A-Za-z0-9_.:-)"));
  }
  if (reference == kEchoModelName) return absl::OkStatus();
  for (const v1::ModelSpec& spec : specs) {
    if (spec.name() == reference) return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      "model \"", reference,
      "\" is not registered (add it to the registry's models, or use "
      "\"scripted:echo\" or \"openai:<model>\")"));
}

absl::Status CheckBaseUrl(absl::string_view what, absl::string_view url) {
  absl::string_view rest = url;
  const bool http_scheme = absl::ConsumePrefix(&rest, "http://") ||
                           absl::ConsumePrefix(&rest, "https://");
  if (!http_scheme || rest.empty() || url.size() > kMaxBaseUrlLength ||
      !IsPrintable(url)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be an http:// or https:// URL of at most ",
                     kMaxBaseUrlLength, " printable characters"));
  }
  // User info would put a credential in the URL (and so in logs); a query
  // or fragment would be cut off by the path appended to it.
  if (rest.find_first_of("@?#") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must not contain user info, a query or a fragment"));
  }
  return absl::OkStatus();
}

}  // namespace bastion::runs
