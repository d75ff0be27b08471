// Registry rules for models: which ModelSpecs are acceptable and which
// `model` references an agent or team may use. Pure functions over the
// registry proto (no environment, no network), shared by the registry's
// startup check and the ModelCatalog.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_SPECS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_SPECS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace bastion::runs {

using ModelSpecs = google::protobuf::RepeatedPtrField<v1::ModelSpec>;

// Always known: answers with the user's input.
inline constexpr absl::string_view kEchoModelName = "scripted:echo";
// "openai:<model>": an OpenAI-compatible server configured by the
// environment (OPENAI_BASE_URL, OPENAI_API_KEY).
inline constexpr absl::string_view kOpenAiModelPrefix = "openai:";
// Used when neither the spec nor OPENAI_BASE_URL names a server.
inline constexpr absl::string_view kDefaultOpenAiBaseUrl =
    "https://api.openai.com/v1";
// Used when a spec names no api_key_env.
inline constexpr absl::string_view kDefaultApiKeyEnv = "OPENAI_API_KEY";
// Where the built-in "openai:<model>" models and specs without base_url
// find their server.
inline constexpr absl::string_view kBaseUrlEnv = "OPENAI_BASE_URL";

// Every spec: a name of [A-Za-z0-9_.:-]{1,64}, unique, not a built-in
// ("scripted:echo", "openai:..."), and exactly one kind. Scripted: each rule
// answers something (reply or tool calls), after_tool is empty, "*" or a
// tool name, each tool call names a tool and its arguments template is a
// JSON object. OpenAI: a model name, an http(s) base URL without user
// info, query or fragment, an environment variable name for the key,
// timeouts within 0..600 s (connect) and 0..3600 s (total), retries 0..5,
// temperature 0..2, max_tokens >= 0. INVALID_ARGUMENT naming the spec and
// the field otherwise.
absl::Status ValidateModelSpecs(const ModelSpecs& specs);

// OK when `reference` names a spec in `specs`, the built-in echo model, or
// "openai:<model>" with <model> of 1-128 [A-Za-z0-9_.:/-] (vLLM model names
// carry slashes, Ollama's tags colons). INVALID_ARGUMENT when malformed;
// NOT_FOUND when well formed but unknown. Messages name the reference.
absl::Status CheckModelReference(const ModelSpecs& specs,
                                 absl::string_view reference);

// The <model> of a well-formed "openai:<model>" reference, else nullopt.
std::optional<absl::string_view> BuiltinOpenAiModel(
    absl::string_view reference);

// An http:// or https:// URL without user info, query or fragment, at most
// 2048 printable characters. INVALID_ARGUMENT naming `what` otherwise.
absl::Status CheckBaseUrl(absl::string_view what, absl::string_view url);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_SPECS_H_
