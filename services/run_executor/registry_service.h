// gRPC adapters for the registry: Agents, Teams and Workflows. They only
// run the guard, call the registry and map the status.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_SERVICE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_SERVICE_H_

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/run_executor/registry.h"

namespace bastion::runs {

// Thread-safe: the registry is immutable and the guard thread-safe.
class AgentsService final : public v1::Agents::Service {
 public:
  AgentsService(const AgentRegistry* registry, CallGuard guard);

  grpc::Status ListAgents(grpc::ServerContext* context,
                          const v1::ListAgentsRequest* request,
                          v1::ListAgentsResponse* response) override;
  grpc::Status GetAgent(grpc::ServerContext* context,
                        const v1::GetAgentRequest* request,
                        v1::Agent* response) override;

 private:
  const AgentRegistry* registry_;
  CallGuard guard_;
};

class TeamsService final : public v1::Teams::Service {
 public:
  TeamsService(const AgentRegistry* registry, CallGuard guard);

  grpc::Status ListTeams(grpc::ServerContext* context,
                         const v1::ListTeamsRequest* request,
                         v1::ListTeamsResponse* response) override;
  grpc::Status GetTeam(grpc::ServerContext* context,
                       const v1::GetTeamRequest* request,
                       v1::Team* response) override;

 private:
  const AgentRegistry* registry_;
  CallGuard guard_;
};

class WorkflowsService final : public v1::Workflows::Service {
 public:
  WorkflowsService(const AgentRegistry* registry, CallGuard guard);

  grpc::Status ListWorkflows(grpc::ServerContext* context,
                             const v1::ListWorkflowsRequest* request,
                             v1::ListWorkflowsResponse* response) override;
  grpc::Status GetWorkflow(grpc::ServerContext* context,
                           const v1::GetWorkflowRequest* request,
                           v1::Workflow* response) override;

 private:
  const AgentRegistry* registry_;
  CallGuard guard_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_REGISTRY_SERVICE_H_
