// gRPC adapters for the registry: Agents, Teams and Workflows. They run the
// guard, call the registry and map the status; the lists keep what the
// caller may read or run (VisibleIds).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_SERVICE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_SERVICE_H_

#include <string>
#include <vector>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/run_executor/registry.h"

namespace bastion::runs {

// The ids of `resource` ("agents", "teams", "workflows") among `ids` that
// `caller` may read or run: all of them when it holds the permission for
// any id, else each one its per-id scopes allow. PERMISSION_DENIED when
// none; an undecided check fails closed (UNAVAILABLE).
absl::StatusOr<std::vector<std::string>> VisibleIds(
    Authorizer* authorizer, const Caller& caller, const std::string& resource,
    const std::vector<std::string>& ids);

// Thread-safe: the registry is immutable and the guard thread-safe.
class AgentsService final : public v1::Agents::Service {
 public:
  // `authorizer` (not owned) filters the list for the caller.
  AgentsService(const AgentRegistry* registry, CallGuard guard,
        Authorizer* authorizer);

  grpc::Status ListAgents(grpc::ServerContext* context,
                          const v1::ListAgentsRequest* request,
                          v1::ListAgentsResponse* response) override;
  grpc::Status GetAgent(grpc::ServerContext* context,
                        const v1::GetAgentRequest* request,
                        v1::Agent* response) override;

 private:
  const AgentRegistry* registry_;
  CallGuard guard_;
  Authorizer* authorizer_;
};

class TeamsService final : public v1::Teams::Service {
 public:
  // `authorizer` (not owned) filters the list for the caller.
  TeamsService(const AgentRegistry* registry, CallGuard guard,
        Authorizer* authorizer);

  grpc::Status ListTeams(grpc::ServerContext* context,
                         const v1::ListTeamsRequest* request,
                         v1::ListTeamsResponse* response) override;
  grpc::Status GetTeam(grpc::ServerContext* context,
                       const v1::GetTeamRequest* request,
                       v1::Team* response) override;

 private:
  const AgentRegistry* registry_;
  CallGuard guard_;
  Authorizer* authorizer_;
};

class WorkflowsService final : public v1::Workflows::Service {
 public:
  // `authorizer` (not owned) filters the list for the caller.
  WorkflowsService(const AgentRegistry* registry, CallGuard guard,
        Authorizer* authorizer);

  grpc::Status ListWorkflows(grpc::ServerContext* context,
                             const v1::ListWorkflowsRequest* request,
                             v1::ListWorkflowsResponse* response) override;
  grpc::Status GetWorkflow(grpc::ServerContext* context,
                           const v1::GetWorkflowRequest* request,
                           v1::Workflow* response) override;

 private:
  const AgentRegistry* registry_;
  CallGuard guard_;
  Authorizer* authorizer_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_SERVICE_H_
