// The sample tool server's gRPC adapter: the guard admits only trusted
// Bastion services (ToolService is `internal`), then the forwarded user
// assertion is verified and the tool runs for that user.
#ifndef BASTION_TOOLS_SAMPLE_TOOL_SERVER_SAMPLE_TOOL_SERVICE_H_
#define BASTION_TOOLS_SAMPLE_TOOL_SERVER_SAMPLE_TOOL_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "common/auth/caller.h"
#include "tools/sample_tool_server/sample_tools.h"

namespace bastion::sample {

// The user a call is made for: exactly one x-bastion-principal-bin entry
// holding an assertion that `users` verifies (signed by authn, unexpired,
// for this audience) naming a user, not a service; a run's delegation only
// when `calling_service` (the verified service making the call) is its
// holder. UNAUTHENTICATED otherwise (the reason is logged, not returned).
absl::StatusOr<common::v1::Principal> ForwardedUser(
    const grpc::ServerContextBase& context, AssertionAuthenticator& users,
    absl::string_view calling_service);

// Thread-safe; `users` and `tools` must outlive it.
//   ListTools: a trusted service            -> the tools
//   Invoke:    a trusted service, for a verified user -> the tool's result
//   no or an untrusted service assertion    -> PERMISSION_DENIED
//   no or an unverifiable user assertion    -> UNAUTHENTICATED
//   unknown tool                            -> NOT_FOUND
class SampleToolService final : public runs::v1::ToolService::Service {
 public:
  SampleToolService(CallGuard guard, AssertionAuthenticator* users,
                    SampleTools* tools)
      : guard_(std::move(guard)), users_(users), tools_(tools) {}

  grpc::Status ListTools(grpc::ServerContext* context,
                         const runs::v1::ListToolsRequest* request,
                         runs::v1::ListToolsResponse* response) override;
  grpc::Status Invoke(grpc::ServerContext* context,
                      const runs::v1::InvokeToolRequest* request,
                      runs::v1::InvokeToolResponse* response) override;

 private:
  const CallGuard guard_;
  AssertionAuthenticator* const users_;
  SampleTools* const tools_;
};

}  // namespace bastion::sample

#endif  // BASTION_TOOLS_SAMPLE_TOOL_SERVER_SAMPLE_TOOL_SERVICE_H_
