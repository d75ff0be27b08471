#include "services/run_executor/registry_service.h"

#include <utility>

namespace bastion::runs {
namespace {

// Copies every spec of a map into a repeated field, in id order.
template <typename Map, typename Repeated>
void CopyAll(const Map& specs, Repeated* out) {
  for (const auto& [id, spec] : specs) *out->Add() = spec;
}

// Finds one spec and copies it into the response.
template <typename Spec>
absl::Status Answer(absl::StatusOr<Spec> found, Spec* response) {
  if (!found.ok()) return found.status();
  *response = *std::move(found);
  return absl::OkStatus();
}

}  // namespace

AgentsService::AgentsService(const AgentRegistry* registry, CallGuard guard)
    : registry_(registry), guard_(std::move(guard)) {}

grpc::Status AgentsService::ListAgents(grpc::ServerContext* context,
                                       const v1::ListAgentsRequest* request,
                                       v1::ListAgentsResponse* response) {
  return guard_.Run(context, "ListAgents", *request, [&](const Caller&) {
    CopyAll(registry_->agents(), response->mutable_agents());
    return absl::OkStatus();
  });
}

grpc::Status AgentsService::GetAgent(grpc::ServerContext* context,
                                     const v1::GetAgentRequest* request,
                                     v1::Agent* response) {
  return guard_.Run(context, "GetAgent", *request, [&](const Caller&) {
    return Answer(registry_->FindAgent(request->agent_id()), response);
  });
}

TeamsService::TeamsService(const AgentRegistry* registry, CallGuard guard)
    : registry_(registry), guard_(std::move(guard)) {}

grpc::Status TeamsService::ListTeams(grpc::ServerContext* context,
                                     const v1::ListTeamsRequest* request,
                                     v1::ListTeamsResponse* response) {
  return guard_.Run(context, "ListTeams", *request, [&](const Caller&) {
    CopyAll(registry_->teams(), response->mutable_teams());
    return absl::OkStatus();
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
                                   CallGuard guard)
    : registry_(registry), guard_(std::move(guard)) {}

grpc::Status WorkflowsService::ListWorkflows(
    grpc::ServerContext* context, const v1::ListWorkflowsRequest* request,
    v1::ListWorkflowsResponse* response) {
  return guard_.Run(context, "ListWorkflows", *request, [&](const Caller&) {
    CopyAll(registry_->workflows(), response->mutable_workflows());
    return absl::OkStatus();
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
