#include "services/run_executor/registry_service.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace bastion::runs {
namespace {

// Copies the specs the caller may see into a repeated field, in id order.
template <typename Map, typename Repeated>
absl::Status CopyVisible(Authorizer* authorizer, const Caller& caller,
                         const std::string& resource, const Map& specs,
                         Repeated* out) {
  std::vector<std::string> ids;
  for (const auto& [id, spec] : specs) ids.push_back(id);
  absl::StatusOr<std::vector<std::string>> visible =
      VisibleIds(authorizer, caller, resource, ids);
  if (!visible.ok()) return visible.status();
  for (const std::string& id : *visible) *out->Add() = specs.at(id);
  return absl::OkStatus();
}

// Finds one spec and copies it into the response.
template <typename Spec>
absl::Status Answer(absl::StatusOr<Spec> found, Spec* response) {
  if (!found.ok()) return found.status();
  *response = *std::move(found);
  return absl::OkStatus();
}

// Whether the caller holds `action` on `resource` for `id` ("" = any).
absl::StatusOr<bool> Allowed(Authorizer* authorizer, const Caller& caller,
                             const std::string& resource, const char* action,
                             const std::string& id) {
  absl::StatusOr<AuthzDecision> decision =
      authorizer->Check(caller, PermissionRequest{resource, action, id});
  if (!decision.ok()) return decision.status();
  return decision->allowed;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> VisibleIds(
    Authorizer* authorizer, const Caller& caller, const std::string& resource,
    const std::vector<std::string>& ids) {
  if (authorizer == nullptr) {
    return absl::UnavailableError("no authorizer configured");
  }
  for (const char* action : {"read", "run"}) {
    absl::StatusOr<bool> all = Allowed(authorizer, caller, resource, action, "");
    if (!all.ok()) return all.status();
    if (*all) return ids;
  }
  std::vector<std::string> visible;
  for (const std::string& id : ids) {
    for (const char* action : {"read", "run"}) {
      absl::StatusOr<bool> allowed =
          Allowed(authorizer, caller, resource, action, id);
      if (!allowed.ok()) return allowed.status();
      if (*allowed) {
        visible.push_back(id);
        break;
      }
    }
  }
  if (visible.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("no ", resource, " you may read or run"));
  }
  return visible;
}

AgentsService::AgentsService(const AgentRegistry* registry, CallGuard guard,
                             Authorizer* authorizer)
    : registry_(registry), guard_(std::move(guard)), authorizer_(authorizer) {}

grpc::Status AgentsService::ListAgents(grpc::ServerContext* context,
                                       const v1::ListAgentsRequest* request,
                                       v1::ListAgentsResponse* response) {
  return guard_.Run(context, "ListAgents", *request, [&](const Caller& caller) {
    return CopyVisible(authorizer_, caller, "agents", registry_->agents(),
                       response->mutable_agents());
  });
}

grpc::Status AgentsService::GetAgent(grpc::ServerContext* context,
                                     const v1::GetAgentRequest* request,
                                     v1::Agent* response) {
  return guard_.Run(context, "GetAgent", *request, [&](const Caller&) {
    return Answer(registry_->FindAgent(request->agent_id()), response);
  });
}

TeamsService::TeamsService(const AgentRegistry* registry, CallGuard guard,
                           Authorizer* authorizer)
    : registry_(registry), guard_(std::move(guard)), authorizer_(authorizer) {}

grpc::Status TeamsService::ListTeams(grpc::ServerContext* context,
                                     const v1::ListTeamsRequest* request,
                                     v1::ListTeamsResponse* response) {
  return guard_.Run(context, "ListTeams", *request, [&](const Caller& caller) {
    return CopyVisible(authorizer_, caller, "teams", registry_->teams(),
                       response->mutable_teams());
  });
}

grpc::Status TeamsService::GetTeam(grpc::ServerContext* context,
                                   const v1::GetTeamRequest* request,
                                   v1::Team* response) {
  return guard_.Run(context, "GetTeam", *request, [&](const Caller&) {
    return Answer(registry_->FindTeam(request->team_id()), response);
  });
}

WorkflowsService::WorkflowsService(const AgentRegistry* registry,
                                   CallGuard guard, Authorizer* authorizer)
    : registry_(registry), guard_(std::move(guard)), authorizer_(authorizer) {}

grpc::Status WorkflowsService::ListWorkflows(
    grpc::ServerContext* context, const v1::ListWorkflowsRequest* request,
    v1::ListWorkflowsResponse* response) {
  return guard_.Run(context, "ListWorkflows", *request, [&](const Caller& caller) {
    return CopyVisible(authorizer_, caller, "workflows", registry_->workflows(),
                       response->mutable_workflows());
  });
}

grpc::Status WorkflowsService::GetWorkflow(grpc::ServerContext* context,
                                           const v1::GetWorkflowRequest* request,
                                           v1::Workflow* response) {
  return guard_.Run(context, "GetWorkflow", *request, [&](const Caller&) {
    return Answer(registry_->FindWorkflow(request->workflow_id()), response);
  });
}

}  // namespace bastion::runs
