// The models of a deployment, built once at startup from the registry and
// the environment, and handed to runs by the reference their component
// names ("scripted:echo", "openai:gpt-4o-mini", a registered name).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_CATALOG_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_CATALOG_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/clock/clock.h"
#include "common/config/config.h"
#include "services/run_executor/model/model.h"
#include "services/run_executor/model/model_specs.h"
#include "services/run_executor/model/openai_model.h"

namespace bastion::runs {

// Thread-safe: Find may be called by every run at once. Each model is one
// shared instance for all runs that name it.
class ModelCatalog {
 public:
  // Validates `specs` (ValidateModelSpecs), reads the environment once
  // (OPENAI_BASE_URL, OPENAI_API_KEY and each spec's api_key_env) and
  // builds every registered model, so a bad configuration refuses startup.
  // INVALID_ARGUMENT naming the model or variable (never a key's value),
  // e.g. when a spec's api_key_env names a variable that is unset or empty.
  // Which models agents and teams may name is AgentRegistry's check.
  // `clock` (scripted models' deadlines) must outlive the catalog.
  static absl::StatusOr<std::unique_ptr<ModelCatalog>> Create(
      const ModelSpecs& specs, const EnvLookup& env, const Clock* clock);

  // The model a reference names: INVALID_ARGUMENT when malformed, NOT_FOUND
  // when unknown (both name the reference). "openai:<model>" models are
  // built on first use with the environment read at Create.
  absl::StatusOr<std::shared_ptr<const Model>> Find(
      absl::string_view reference) const;

 private:
  ModelCatalog(ModelSpecs specs, OpenAiModelConfig openai_defaults);

  // The registry's models (for references); immutable.
  const ModelSpecs specs_;
  // Base URL and key for "openai:<model>" from the environment.
  const OpenAiModelConfig openai_defaults_;
  // Registered models and scripted:echo; filled by Create, then immutable.
  std::map<std::string, std::shared_ptr<const Model>, std::less<>> built_;
  mutable absl::Mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<const Model>, std::less<>>
      builtin_openai_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_CATALOG_H_
