// The approval records domain: checks the approval requests a trusted
// service makes for a user and decides whose approvals they reach (an
// approver's: its tenant's), then hands them to the store.
#ifndef BASTION_SERVICES_DATA_DOMAIN_APPROVALS_H_
#define BASTION_SERVICES_DATA_DOMAIN_APPROVALS_H_

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "services/data/storage/approval_store.h"

namespace bastion::data::domain {

// The requester sees its own approvals; an approver (Caller::approver, as
// authz decided it from scopes and roles) or an admin sees its tenant's,
// audited. Others' approvals are NOT_FOUND. Thread-safe; `store` must
// outlive it.
class Approvals {
 public:
  explicit Approvals(storage::ApprovalStore &store) : store_(store) {}

  // For a tool call of one of the caller's own runs (else NOT_FOUND), at
  // the caller's own level; args_sha256 must be the SHA-256 of
  // arguments_json (INVALID_ARGUMENT otherwise). An approval needs
  // ttl_seconds 1 to 604800 and no audit_decision; an AUDIT one is resolved
  // now by the caller, with audit_decision (required) and ttl_seconds 0.
  absl::StatusOr<v1::Approval> CreateApproval(
      const Caller &caller, const v1::CreateApprovalRequest &request);
  absl::StatusOr<v1::Approval> GetApproval(
      const Caller &caller, const v1::GetApprovalRequest &request);
  absl::StatusOr<v1::ListApprovalsResponse> ListApprovals(
      const Caller &caller, const v1::ListApprovalsRequest &request);
  // Counts what ListApprovals would show over all pages.
  absl::StatusOr<v1::CountApprovalsResponse> CountApprovals(
      const Caller &caller, const v1::CountApprovalsRequest &request);
  // Atomic and once: succeeds only while pending and unexpired, for a
  // resolver other than the requester, with the stored arguments hash;
  // FAILED_PRECONDITION otherwise.
  absl::StatusOr<v1::Approval> ResolveApproval(
      const Caller &caller, const v1::ResolveApprovalRequest &request);

 private:
  storage::ApprovalStore &store_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_APPROVALS_H_
