#include "services/run_executor/model/model_catalog.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/run_executor/model/openai_model.h"
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
    const v1::Registry& registry, const EnvLookup& env, const Clock* clock) {
  RETURN_IF_ERROR(ValidateModelSpecs(registry.models()));

  OpenAiModelConfig defaults;
  defaults.base_url = EnvOrEmpty(env, kBaseUrlEnv);
  if (defaults.base_url.empty()) {
    defaults.base_url = std::string(kDefaultOpenAiBaseUrl);
  } else {
    RETURN_IF_ERROR(CheckBaseUrl(
        absl::StrCat("environment variable ", kBaseUrlEnv), defaults.base_url));
  }
  defaults.api_key = EnvOrEmpty(env, kDefaultApiKeyEnv);
  // Checked even when no component uses the default key yet.
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

  std::unique_ptr<ModelCatalog> catalog(new ModelCatalog(registry.models()));
  ASSIGN_OR_RETURN(std::unique_ptr<ScriptedModel> echo,
                   ScriptedModel::Create(v1::ScriptedModel(), clock));
  catalog->models_.emplace(kEchoModelName, std::move(echo));
  for (const v1::ModelSpec& spec : registry.models()) {
    std::shared_ptr<const Model> model;
    if (spec.has_scripted()) {
      ASSIGN_OR_RETURN(model, ScriptedModel::Create(spec.scripted(), clock));
    } else {
      ASSIGN_OR_RETURN(OpenAiModelConfig config,
                       OpenAiConfigOf(spec, defaults, env));
      ASSIGN_OR_RETURN(model, OpenAiModel::Create(std::move(config)));
    }
    catalog->models_.emplace(spec.name(), std::move(model));
  }

  std::vector<absl::string_view> references;
  for (const v1::Agent& agent : registry.agents()) {
    references.push_back(agent.model());
  }
  for (const v1::Team& team : registry.teams()) {
    references.push_back(team.model());
  }
  for (absl::string_view reference : references) {
    const std::optional<absl::string_view> model =
        BuiltinOpenAiModel(reference);
    if (!model.has_value() || catalog->models_.count(reference) > 0) continue;
    OpenAiModelConfig config = defaults;
    config.name = std::string(reference);
    config.model = std::string(*model);
    ASSIGN_OR_RETURN(std::unique_ptr<OpenAiModel> built,
                     OpenAiModel::Create(std::move(config)));
    catalog->models_.emplace(std::string(reference), std::move(built));
  }
  return catalog;
}

ModelCatalog::ModelCatalog(ModelSpecs specs) : specs_(std::move(specs)) {}

absl::StatusOr<std::shared_ptr<const Model>> ModelCatalog::Find(
    absl::string_view reference) const {
  auto found = models_.find(reference);
  if (found != models_.end()) return found->second;
  RETURN_IF_ERROR(CheckModelReference(specs_, reference));
  // Well formed and known by name, yet not built: an "openai:<model>" that
  // no agent or team names.
  return absl::NotFoundError(
      absl::StrCat("model \"", reference,
                   "\" is named by no registered agent or team"));
}

}  // namespace bastion::runs
