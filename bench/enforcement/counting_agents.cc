#include "bench/enforcement/counting_agents.h"

#include <utility>

#include "common/status/grpc_status.h"

namespace bastion::bench {

grpc::Status CountingAgents::Count(grpc::Status status) {
  (status.ok() ? ok_ : failed_).fetch_add(1, std::memory_order_relaxed);
  return status;
}

grpc::Status CountingAgents::ListAgents(
    grpc::ServerContext* context, const runs::v1::ListAgentsRequest* request,
    runs::v1::ListAgentsResponse* response) {
  return Count(inner_->ListAgents(context, request, response));
}

grpc::Status CountingAgents::GetAgent(grpc::ServerContext* context,
                                      const runs::v1::GetAgentRequest* request,
                                      runs::v1::Agent* response) {
  return Count(inner_->GetAgent(context, request, response));
}

grpc::Status UnguardedAgents::ListAgents(
    grpc::ServerContext* /*context*/,
    const runs::v1::ListAgentsRequest* /*request*/,
    runs::v1::ListAgentsResponse* response) {
  // Same copy as AgentsService::ListAgents, and the same status mapping.
  for (const auto& [id, spec] : registry_->agents()) {
    *response->mutable_agents()->Add() = spec;
  }
  return ToGrpcStatus(absl::OkStatus());
}

grpc::Status UnguardedAgents::GetAgent(grpc::ServerContext* /*context*/,
                                       const runs::v1::GetAgentRequest* request,
                                       runs::v1::Agent* response) {
  absl::StatusOr<runs::v1::Agent> found =
      registry_->FindAgent(request->agent_id());
  if (!found.ok()) return ToGrpcStatus(found.status());
  *response = *std::move(found);
  return grpc::Status::OK;
}

}  // namespace bastion::bench
