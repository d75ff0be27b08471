// Storage seam for approval records (replaceable in tests and other
// deployments).
#ifndef BASTION_SERVICES_DATA_STORAGE_APPROVAL_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_APPROVAL_STORE_H_

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// SQL only, on requests the domain has checked; every call runs as `scope`
// (see SessionStore). The domain raises an approver's scope to its tenant
// (domain::ApproverScopeOf). Others' approvals are NOT_FOUND. Requests,
// approvals, rejections and expiries are written to the audit log with the
// change itself; a pending approval past its expiry is marked expired when
// any read or resolve meets it. Implementations are thread-safe.
class ApprovalStore {
 public:
  virtual ~ApprovalStore() = default;

  // For a tool call of one of the principal's own runs (else NOT_FOUND);
  // of kind AUDIT, resolved by the principal when made.
  virtual absl::StatusOr<v1::Approval> CreateApproval(
      const pg::PrincipalScope& scope,
      const v1::CreateApprovalRequest& request) = 0;
  virtual absl::StatusOr<v1::Approval> GetApproval(
      const pg::PrincipalScope& scope,
      const v1::GetApprovalRequest& request) = 0;
  virtual absl::StatusOr<v1::ListApprovalsResponse> ListApprovals(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListApprovalsRequest& request) = 0;
  // How many approvals match, over all pages (ListApprovals' filters).
  virtual absl::StatusOr<v1::CountApprovalsResponse> CountApprovals(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const v1::CountApprovalsRequest& request) = 0;
  // Atomic and once: succeeds only while pending and unexpired, for a
  // resolver other than the requester, with the stored arguments hash;
  // FAILED_PRECONDITION otherwise.
  virtual absl::StatusOr<v1::Approval> ResolveApproval(
      const pg::PrincipalScope& scope,
      const v1::ResolveApprovalRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_APPROVAL_STORE_H_
