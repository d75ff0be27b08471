// The models of a deployment, built once at startup from the registry and
// the environment, and handed to runs by the reference their component
// names ("scripted:echo", "openai:gpt-4o-mini", a registered name).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_CATALOG_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_CATALOG_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "services/run_executor/model/model.h"
#include "services/run_executor/model/model_specs.h"

namespace bastion::runs {

// Immutable after Create, so thread-safe without locks: every run may call
// Find at once. Each model is one shared instance for all runs naming it.
class ModelCatalog {
 public:
  // Validates registry.models (ValidateModelSpecs), reads the environment
  // once (OPENAI_BASE_URL, OPENAI_API_KEY and each spec's api_key_env),
  // builds every registered model and every "openai:<model>" an agent or
  // team names, so a bad configuration refuses startup. INVALID_ARGUMENT
  // naming the model or variable (never a key's value), e.g. when a spec's
  // api_key_env names a variable that is unset or empty. Whether each
  // agent's and team's reference is known is AgentRegistry's check.
  // `clock` (scripted models' deadlines) must outlive the catalog.
  static absl::StatusOr<std::unique_ptr<ModelCatalog>> Create(
      const v1::Registry& registry, const EnvLookup& env, const Clock* clock);

  // The model a reference names: INVALID_ARGUMENT when malformed, NOT_FOUND
  // when unknown or an "openai:<model>" no component named at Create (both
  // name the reference).
  absl::StatusOr<std::shared_ptr<const Model>> Find(
      absl::string_view reference) const;

 private:
  explicit ModelCatalog(ModelSpecs specs);

  // The registry's models (for refusals that name the reference).
  const ModelSpecs specs_;
  // By reference: the registered models, scripted:echo and the
  // "openai:<model>" ones components name. Filled by Create.
  std::map<std::string, std::shared_ptr<const Model>, std::less<>> models_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_CATALOG_H_
