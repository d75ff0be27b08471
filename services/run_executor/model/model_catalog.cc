#include "services/run_executor/model/model_catalog.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/run_executor/model/scripted_model.h"

namespace bastion::runs {
namespace {

constexpr int kDefaultConnectTimeoutMs = 5 * 1000;
constexpr int kDefaultTimeoutMs = 120 * 1000;
constexpr int kDefaultMaxRetries = 2;

std::string EnvOrEmpty(const EnvLookup& env, absl::string_view name) {
  std::optional<std::string> value = env(name);
  return value.has_value() ? *std::move(value) : std::string();
}

// The server of a spec: its own, else $OPENAI_BASE_URL, else OpenAI.
absl::StatusOr<OpenAiModelConfig> OpenAiConfigOf(
    const v1::ModelSpec& spec, const OpenAiModelConfig& defaults,
    const EnvLookup& env) {
  const v1::OpenAiModel& openai = spec.openai();
  OpenAiModelConfig config = defaults;
  config.name = spec.name();
  config.model = openai.model();
  if (!openai.base_url().empty()) config.base_url = openai.base_url();
  if (!openai.api_key_env().empty()) {
    config.api_key = EnvOrEmpty(env, openai.api_key_env());
    // Named on purpose: a missing key is a mistake, not a local server.
    if (config.api_key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "registry: model \"", spec.name(), "\": environment variable ",
          openai.api_key_env(), " (openai.api_key_env) is not set"));
    }
  }
  config.stream = !openai.has_stream() || openai.stream();
  config.connect_timeout = absl::Milliseconds(
      openai.connect_timeout_ms() > 0 ? openai.connect_timeout_ms()
                                      : kDefaultConnectTimeoutMs);
  config.timeout = absl::Milliseconds(
      openai.timeout_ms() > 0 ? openai.timeout_ms() : kDefaultTimeoutMs);
  config.max_retries =
      openai.max_retries() > 0 ? openai.max_retries() : kDefaultMaxRetries;
  if (openai.has_temperature()) config.temperature = openai.temperature();
  config.max_tokens = openai.max_tokens();
  return config;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelCatalog>> ModelCatalog::Create(
    const ModelSpecs& specs, const EnvLookup& env, const Clock* clock) {
  RETURN_IF_ERROR(ValidateModelSpecs(specs));

  OpenAiModelConfig defaults;
  defaults.base_url = EnvOrEmpty(env, kBaseUrlEnv);
  if (defaults.base_url.empty()) {
    defaults.base_url = std::string(kDefaultOpenAiBaseUrl);
  } else {
    RETURN_IF_ERROR(CheckBaseUrl(
        absl::StrCat("environment variable ", kBaseUrlEnv), defaults.base_url));
  }
  defaults.api_key = EnvOrEmpty(env, kDefaultApiKeyEnv);
  // Checked here, not when an "openai:<model>" is first used by a run.
  for (char c : defaults.api_key) {
    if (absl::ascii_iscntrl(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", kDefaultApiKeyEnv,
                       " holds characters not allowed in a header"));
    }
  }
  defaults.connect_timeout = absl::Milliseconds(kDefaultConnectTimeoutMs);
  defaults.timeout = absl::Milliseconds(kDefaultTimeoutMs);
  defaults.max_retries = kDefaultMaxRetries;

  std::unique_ptr<ModelCatalog> catalog(new ModelCatalog(specs, defaults));
  ASSIGN_OR_RETURN(std::unique_ptr<ScriptedModel> echo,
                   ScriptedModel::Create(v1::ScriptedModel(), clock));
  catalog->built_.emplace(kEchoModelName, std::move(echo));
  for (const v1::ModelSpec& spec : specs) {
    std::shared_ptr<const Model> model;
    if (spec.has_scripted()) {
      ASSIGN_OR_RETURN(model, ScriptedModel::Create(spec.scripted(), clock));
    } else {
      ASSIGN_OR_RETURN(OpenAiModelConfig config,
                       OpenAiConfigOf(spec, defaults, env));
      ASSIGN_OR_RETURN(model, OpenAiModel::Create(std::move(config)));
    }
    catalog->built_.emplace(spec.name(), std::move(model));
  }
  return catalog;
}

ModelCatalog::ModelCatalog(ModelSpecs specs, OpenAiModelConfig openai_defaults)
    : specs_(std::move(specs)), openai_defaults_(std::move(openai_defaults)) {}

absl::StatusOr<std::shared_ptr<const Model>> ModelCatalog::Find(
    absl::string_view reference) const {
  auto built = built_.find(reference);
  if (built != built_.end()) return built->second;
  RETURN_IF_ERROR(CheckModelReference(specs_, reference));

  const std::optional<absl::string_view> model = BuiltinOpenAiModel(reference);
  if (!model.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("model \"", reference, "\" is not registered"));
  }
  absl::MutexLock lock(&mutex_);
  auto cached = builtin_openai_.find(reference);
  if (cached != builtin_openai_.end()) return cached->second;
  OpenAiModelConfig config = openai_defaults_;
  config.name = std::string(reference);
  config.model = std::string(*model);
  ASSIGN_OR_RETURN(std::shared_ptr<const Model> created,
                   OpenAiModel::Create(std::move(config)));
  builtin_openai_.emplace(std::string(reference), created);
  return created;
}

}  // namespace bastion::runs
