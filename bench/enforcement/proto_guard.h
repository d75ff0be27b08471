// PROTOTYPE of CallGuard over the shared-caller clients of proto_remote.h,
// and the Agents adapter that uses it, to measure the proposed fix. It
// covers only what the benchmarked method needs: a bearer credential and a
// declared permission. Everything else (principal assertions, internal
// methods) is refused. Never used outside the benchmark.
#ifndef BASTION_BENCH_ENFORCEMENT_PROTO_GUARD_H_
#define BASTION_BENCH_ENFORCEMENT_PROTO_GUARD_H_

#include <memory>
#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "bench/enforcement/proto_remote.h"
#include "common/server/permission_table.h"
#include "common/status/grpc_status.h"
#include "services/run_executor/registry.h"

namespace bastion::bench {

// Thread-safe: immutable after Create; the clients are thread-safe.
class ProtoCallGuard {
 public:
  static absl::StatusOr<ProtoCallGuard> Create(
      const std::string& service_full_name,
      ProtoRemoteAuthenticator* authenticator,
      ProtoRemoteAuthorizer* authorizer);

  // CallGuard::Authorize's outcomes for bearer credentials; a null caller
  // for public methods.
  absl::StatusOr<std::shared_ptr<const SharedCaller>> Authorize(
      const grpc::ServerContextBase& context, absl::string_view method_name,
      const google::protobuf::Message& request) const;

  template <typename Handler>
  grpc::Status Run(const grpc::ServerContextBase* context,
                   absl::string_view method_name,
                   const google::protobuf::Message& request,
                   Handler&& handler) const {
    absl::StatusOr<std::shared_ptr<const SharedCaller>> caller =
        Authorize(*context, method_name, request);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    static const Caller kNobody;
    return ToGrpcStatus(std::forward<Handler>(handler)(
        *caller == nullptr ? kNobody : (*caller)->caller));
  }

 private:
  ProtoCallGuard() = default;

  std::string service_full_name_;
  // Method name -> its declared permission, resolved once (no per-call
  // "service/method" string).
  absl::flat_hash_map<std::string, MethodPermission> permissions_;
  ProtoRemoteAuthenticator* authenticator_ = nullptr;
  ProtoRemoteAuthorizer* authorizer_ = nullptr;
};

// AgentsService (services/run_executor/registry_service.cc) over the
// prototype guard. Thread-safe.
class ProtoAgentsService final : public runs::v1::Agents::Service {
 public:
  ProtoAgentsService(const runs::AgentRegistry* registry, ProtoCallGuard guard)
      : registry_(registry), guard_(std::move(guard)) {}

  grpc::Status ListAgents(grpc::ServerContext* context,
                          const runs::v1::ListAgentsRequest* request,
                          runs::v1::ListAgentsResponse* response) override;
  grpc::Status GetAgent(grpc::ServerContext* context,
                        const runs::v1::GetAgentRequest* request,
                        runs::v1::Agent* response) override;

 private:
  const runs::AgentRegistry* registry_;
  ProtoCallGuard guard_;
};

}  // namespace bastion::bench

#endif  // BASTION_BENCH_ENFORCEMENT_PROTO_GUARD_H_
