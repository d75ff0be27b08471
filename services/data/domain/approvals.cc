#include "services/data/domain/approvals.h"

#include "absl/strings/escaping.h"
#include "common/auth/sha256.h"
#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

// Largest arguments text of one approval (as a paused call's).
constexpr size_t kMaxArgumentsBytes = 1 << 20;

absl::Status CheckStatusFilter(v1::ApprovalStatus status) {
  switch (status) {
    case v1::APPROVAL_STATUS_UNSPECIFIED:
    case v1::APPROVAL_STATUS_PENDING:
    case v1::APPROVAL_STATUS_APPROVED:
    case v1::APPROVAL_STATUS_REJECTED:
    case v1::APPROVAL_STATUS_EXPIRED:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("unknown status");
  }
}

}  // namespace

absl::StatusOr<v1::Approval> Approvals::CreateApproval(
    const Caller &caller, const v1::CreateApprovalRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckOptionalId(request.approval_id(), "approval_id"));
  RETURN_IF_ERROR(CheckId(request.run_id(), "run_id"));
  if (request.tool_call_id().empty() || request.tool_call_id().size() > 256 ||
      request.tool_name().empty() || request.tool_name().size() > 256) {
    return absl::InvalidArgumentError(
        "tool_call_id and tool_name must have 1 to 256 characters");
  }
  RETURN_IF_ERROR(CheckSha256Hex(request.args_sha256(), "args_sha256"));
  if (request.arguments_json().empty() ||
      request.arguments_json().size() > kMaxArgumentsBytes) {
    return absl::InvalidArgumentError(
        "arguments_json must have 1 byte to 1 MiB");
  }
  // The approval covers exactly these arguments: the hash the resolver
  // must present is theirs.
  if (absl::BytesToHexString(Sha256(request.arguments_json())) !=
      request.args_sha256()) {
    return absl::InvalidArgumentError(
        "args_sha256 is not the SHA-256 of arguments_json");
  }
  switch (request.kind()) {
    case v1::APPROVAL_KIND_UNSPECIFIED:
    case v1::APPROVAL_KIND_APPROVAL:
      if (request.ttl_seconds() < 1 || request.ttl_seconds() > 604800) {
        return absl::InvalidArgumentError("ttl_seconds must be 1 to 604800");
      }
      if (request.audit_decision() != v1::APPROVAL_DECISION_UNSPECIFIED) {
        return absl::InvalidArgumentError(
            "audit_decision is for AUDIT approvals only");
      }
      break;
    case v1::APPROVAL_KIND_AUDIT:
      // The caller's own decision, resolved now: nothing expires.
      if (request.ttl_seconds() != 0) {
        return absl::InvalidArgumentError(
            "ttl_seconds must be 0 for an AUDIT approval");
      }
      if (request.audit_decision() != v1::APPROVAL_DECISION_APPROVE &&
          request.audit_decision() != v1::APPROVAL_DECISION_REJECT) {
        return absl::InvalidArgumentError(
            "audit_decision is required for an AUDIT approval");
      }
      break;
    default:
      return absl::InvalidArgumentError("unknown kind");
  }
  return store_.CreateApproval(scope, request);
}

absl::StatusOr<v1::Approval> Approvals::GetApproval(
    const Caller &caller, const v1::GetApprovalRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ApproverScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.approval_id(), "approval_id"));
  return store_.GetApproval(scope, request);
}

absl::StatusOr<v1::ListApprovalsResponse> Approvals::ListApprovals(
    const Caller &caller, const v1::ListApprovalsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ApproverScopeOf(caller));
  ASSIGN_OR_RETURN(storage::Page page,
                   PageOf("approvals.created.desc", request.page()));
  RETURN_IF_ERROR(CheckStatusFilter(request.status()));
  RETURN_IF_ERROR(CheckOptionalId(request.run_id(), "run_id"));
  return store_.ListApprovals(scope, storage::ListFilter(scope, ""), page,
                              request);
}

absl::StatusOr<v1::CountApprovalsResponse> Approvals::CountApprovals(
    const Caller &caller, const v1::CountApprovalsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ApproverScopeOf(caller));
  RETURN_IF_ERROR(CheckStatusFilter(request.status()));
  RETURN_IF_ERROR(CheckOptionalId(request.run_id(), "run_id"));
  return store_.CountApprovals(scope, storage::ListFilter(scope, ""), request);
}

absl::StatusOr<v1::Approval> Approvals::ResolveApproval(
    const Caller &caller, const v1::ResolveApprovalRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ApproverScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.approval_id(), "approval_id"));
  if (request.decision() != v1::APPROVAL_DECISION_APPROVE &&
      request.decision() != v1::APPROVAL_DECISION_REJECT) {
    return absl::InvalidArgumentError("decision is required");
  }
  RETURN_IF_ERROR(
      CheckSha256Hex(request.expected_args_sha256(), "expected_args_sha256"));
  if (request.reason().size() > 2048) {
    return absl::InvalidArgumentError("reason is longer than 2048");
  }
  return store_.ResolveApproval(scope, request);
}

}  // namespace bastion::data::domain
