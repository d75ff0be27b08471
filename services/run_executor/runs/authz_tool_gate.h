// The ToolGate of a deployment: authz's CheckTool decides, with the run
// owner's forwarded assertion, whether the owner's roles allow the tool
// (allowed_tools) and whether the tenant's tool policy asks for confirmation
// or approval. Every refusal is audited through the service's audit sink
// (data's AuditWriter) as "denied.tool".
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_AUTHZ_TOOL_GATE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_AUTHZ_TOOL_GATE_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "bastion/authz/v1/authz.grpc.pb.h"
#include "common/auth/audit_sink.h"
#include "services/run_executor/engine/tool_gate.h"

namespace bastion::runs {

// Thread-safe. Asks authz on every call (no cache: a role change takes
// effect at the next tool call).
class AuthzToolGate final : public ToolGate {
 public:
  // `authz`: a channel from the service's ChannelFactory. `audit` (not
  // owned, may be null: refusals are then only logged) must outlive this.
  AuthzToolGate(std::shared_ptr<grpc::Channel> authz, AuditSink* audit);

  // UNAVAILABLE when authz gives no answer (the call is then refused).
  absl::StatusOr<ToolVerdict> Check(const Caller& owner,
                                    const std::string& run_id,
                                    const std::string& tool_name) const override;

 private:
  std::unique_ptr<authz::v1::Authz::Stub> stub_;
  AuditSink* const audit_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_AUTHZ_TOOL_GATE_H_
