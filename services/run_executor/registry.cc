#include "services/run_executor/registry.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_macros.h"
#include "services/run_executor/model/model_specs.h"
#include "services/run_executor/tools/tool_spec.h"

namespace bastion::runs {
namespace {

absl::Status ValidateId(absl::string_view kind, const std::string& id) {
  bool ok = !id.empty() && id.size() <= 64;
  for (char c : id) {
    ok = ok && (absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("registry: invalid ", kind, " id \"", id,
                     "\" (1-64 of A-Za-z0-9_.-)"));
  }
  return absl::OkStatus();
}

template <typename Spec>
absl::Status Insert(absl::string_view kind, const std::string& id,
                    const Spec& spec, std::map<std::string, Spec>* into) {
  RETURN_IF_ERROR(ValidateId(kind, id));
  if (!into->emplace(id, spec).second) {
    return absl::InvalidArgumentError(
        absl::StrCat("registry: duplicate ", kind, " id \"", id, "\""));
  }
  return absl::OkStatus();
}

// The agent's or team's `model` must name a model the catalog will build.
absl::Status CheckModel(absl::string_view kind, const std::string& id,
                        const std::string& model, const ModelSpecs& models) {
  absl::Status status = CheckModelReference(models, model);
  if (status.ok()) return status;
  return absl::InvalidArgumentError(
      absl::StrCat("registry: ", kind, " \"", id, "\": ", status.message()));
}

template <typename Spec>
absl::StatusOr<Spec> Find(absl::string_view kind,
                          const std::map<std::string, Spec>& specs,
                          const std::string& id) {
  auto it = specs.find(id);
  if (it == specs.end()) {
    return absl::NotFoundError(absl::StrCat(kind, " not found"));
  }
  return it->second;
}

// Depth-first search over the workflow steps that name workflows. A
// workflow that reaches itself (directly or through others) could never
// finish a run, so the first cycle found is an error naming its path.
// `workflows` holds only known ids: dangling steps were rejected before.
class CycleFinder {
 public:
  explicit CycleFinder(const std::map<std::string, v1::Workflow>& workflows)
      : workflows_(workflows) {}

  absl::Status Check() {
    for (const auto& [id, workflow] : workflows_) {
      RETURN_IF_ERROR(Visit(id));
    }
    return absl::OkStatus();
  }

 private:
  enum class Mark { kOnPath, kDone };

  absl::Status Visit(const std::string& id) {
    auto mark = marks_.find(id);
    if (mark != marks_.end()) {
      if (mark->second == Mark::kDone) return absl::OkStatus();
      // On the current path: the cycle is the path from `id` back to it.
      auto start = std::find(path_.begin(), path_.end(), id);
      std::vector<std::string> cycle(start, path_.end());
      cycle.push_back(id);
      return absl::InvalidArgumentError(
          absl::StrCat("registry: workflow cycle ",
                       absl::StrJoin(cycle, " -> "),
                       " (a workflow may not run itself, directly or "
                       "through other workflows)"));
    }
    marks_[id] = Mark::kOnPath;
    path_.push_back(id);
    for (const v1::WorkflowStep& step : workflows_.at(id).steps()) {
      if (step.component_type() == common::v1::COMPONENT_TYPE_WORKFLOW) {
        RETURN_IF_ERROR(Visit(step.component_id()));
      }
    }
    path_.pop_back();
    marks_[id] = Mark::kDone;
    return absl::OkStatus();
  }

  const std::map<std::string, v1::Workflow>& workflows_;
  std::map<std::string, Mark> marks_;
  std::vector<std::string> path_;
};

}  // namespace

absl::StatusOr<AgentRegistry> AgentRegistry::Create(
    const v1::Registry& registry) {
  AgentRegistry result;
  RETURN_IF_ERROR(ValidateModelSpecs(registry.models()));
  for (const v1::Agent& agent : registry.agents()) {
    RETURN_IF_ERROR(Insert("agent", agent.agent_id(), agent, &result.agents_));
    RETURN_IF_ERROR(
        CheckModel("agent", agent.agent_id(), agent.model(), registry.models()));
    RETURN_IF_ERROR(ValidateAgentTools(agent));
  }
  for (const v1::Team& team : registry.teams()) {
    RETURN_IF_ERROR(Insert("team", team.team_id(), team, &result.teams_));
    RETURN_IF_ERROR(
        CheckModel("team", team.team_id(), team.model(), registry.models()));
    for (const std::string& member : team.member_agent_ids()) {
      if (result.agents_.count(member) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("registry: team \"", team.team_id(),
                         "\" names unknown agent \"", member, "\""));
      }
    }
  }
  for (const v1::Workflow& workflow : registry.workflows()) {
    RETURN_IF_ERROR(Insert("workflow", workflow.workflow_id(), workflow,
                           &result.workflows_));
  }
  for (const v1::Workflow& workflow : registry.workflows()) {
    for (const v1::WorkflowStep& step : workflow.steps()) {
      const bool known =
          (step.component_type() == common::v1::COMPONENT_TYPE_AGENT &&
           result.agents_.count(step.component_id()) > 0) ||
          (step.component_type() == common::v1::COMPONENT_TYPE_TEAM &&
           result.teams_.count(step.component_id()) > 0) ||
          (step.component_type() == common::v1::COMPONENT_TYPE_WORKFLOW &&
           result.workflows_.count(step.component_id()) > 0);
      if (!known) {
        return absl::InvalidArgumentError(absl::StrCat(
            "registry: workflow \"", workflow.workflow_id(), "\" step \"",
            step.name(), "\" names no registered component"));
      }
    }
  }
  // Self-reference included (loop -> loop).
  RETURN_IF_ERROR(CycleFinder(result.workflows_).Check());
  return result;
}

absl::StatusOr<v1::Agent> AgentRegistry::FindAgent(const std::string& id) const {
  return Find("agent", agents_, id);
}

absl::StatusOr<v1::Team> AgentRegistry::FindTeam(const std::string& id) const {
  return Find("team", teams_, id);
}

absl::StatusOr<v1::Workflow> AgentRegistry::FindWorkflow(
    const std::string& id) const {
  return Find("workflow", workflows_, id);
}

}  // namespace bastion::runs
