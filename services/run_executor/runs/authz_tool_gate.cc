#include "services/run_executor/runs/authz_tool_gate.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/remote.h"
#include "common/auth/service_identity.h"
#include "common/log/log.h"

namespace bastion::runs {

AuthzToolGate::AuthzToolGate(std::shared_ptr<grpc::Channel> authz,
                             AuditSink* audit)
    : stub_(authz::v1::Authz::NewStub(std::move(authz))), audit_(audit) {}

absl::StatusOr<ToolVerdict> AuthzToolGate::Check(
    const Caller& owner, const std::string& run_id,
    const std::string& tool_name) const {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kAuthCallTimeout));
  absl::Status forwarded = ForwardCaller(owner, &context);
  if (!forwarded.ok()) return forwarded;
  authz::v1::CheckToolRequest request;
  request.set_assertion(owner.assertion);
  request.set_tool_name(tool_name);
  authz::v1::CheckToolResponse response;
  const grpc::Status status = stub_->CheckTool(&context, request, &response);
  if (!status.ok()) {
    Log(LogLevel::kWarning, "tool_check_failed",
        {{"run_id", run_id},
         {"tool", tool_name},
         {"code", absl::StatusCodeToString(
                      static_cast<absl::StatusCode>(status.error_code()))}});
    return absl::UnavailableError("authz unavailable");
  }
  ToolVerdict verdict;
  verdict.allowed = response.decision() == authz::v1::DECISION_ALLOW;
  verdict.reason = response.reason();
  verdict.requires_confirmation = response.requires_confirmation();
  verdict.requires_approval = response.requires_approval();
  if (!verdict.allowed) {
    Log(LogLevel::kInfo, "tool_denied", {{"run_id", run_id}, {"tool", tool_name}});
    if (audit_ != nullptr) {
      AuditRecord record;
      record.tenant_id = owner.principal.tenant_id();
      record.user_id = owner.principal.subject();
      record.action = "denied.tool";
      record.resource = "tools";
      record.resource_id = tool_name;
      record.method = "/bastion.runs.v1.Runs/tool_call";
      record.reason = absl::StrCat("run ", run_id, ": ", response.reason());
      record.occurred_at_unix_micros = absl::ToUnixMicros(absl::Now());
      audit_->Record(std::move(record));
    }
  }
  return verdict;
}

}  // namespace bastion::runs
