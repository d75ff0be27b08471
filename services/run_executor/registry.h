// The immutable registry of agents, teams and workflows, loaded once from
// the config file. Each run builds a fresh run object from these specs.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_H_
#define BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "bastion/runs/v1/runs.pb.h"
#include "bastion/runs/v1/runs_config.pb.h"

namespace bastion::runs {

// Immutable after Create; safe to share between threads.
class AgentRegistry {
 public:
  // Validates ids (non-empty, unique, [A-Za-z0-9_.-]{1,64}), the models
  // (ValidateModelSpecs) and the model each agent and team names (a
  // registered model, "scripted:echo" or "openai:<model>"), each agent's
  // tools (ValidateAgentTools: names, built-ins, endpoints, limits,
  // schemas), team members
  // and workflow steps (they must name registered components, and no
  // workflow may reach itself through its steps: A -> A, A -> B -> A, ...).
  static absl::StatusOr<AgentRegistry> Create(const v1::Registry& registry);

  const std::map<std::string, v1::Agent>& agents() const { return agents_; }
  const std::map<std::string, v1::Team>& teams() const { return teams_; }
  const std::map<std::string, v1::Workflow>& workflows() const {
    return workflows_;
  }

  // NOT_FOUND for unknown ids.
  absl::StatusOr<v1::Agent> FindAgent(const std::string& id) const;
  absl::StatusOr<v1::Team> FindTeam(const std::string& id) const;
  absl::StatusOr<v1::Workflow> FindWorkflow(const std::string& id) const;

 private:
  std::map<std::string, v1::Agent> agents_;
  std::map<std::string, v1::Team> teams_;
  std::map<std::string, v1::Workflow> workflows_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_H_
