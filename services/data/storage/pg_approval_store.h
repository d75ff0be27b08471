// ApprovalStore on PostgreSQL (bastion_data.approvals).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_APPROVAL_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_APPROVAL_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/approval_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
// An approver's transactions run at admin level "tenant" (at least), so the
// database lets it reach the tenant's approvals; that access is audited.
class PgApprovalStore : public ApprovalStore {
 public:
  explicit PgApprovalStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::Approval> CreateApproval(
      const pg::PrincipalScope& scope,
      const v1::CreateApprovalRequest& request) override;
  absl::StatusOr<v1::Approval> GetApproval(
      const pg::PrincipalScope& scope,
      const v1::GetApprovalRequest& request) override;
  absl::StatusOr<v1::ListApprovalsResponse> ListApprovals(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListApprovalsRequest& request) override;
  absl::StatusOr<v1::CountApprovalsResponse> CountApprovals(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const v1::CountApprovalsRequest& request) override;
  absl::StatusOr<v1::Approval> ResolveApproval(
      const pg::PrincipalScope& scope,
      const v1::ResolveApprovalRequest& request) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_APPROVAL_STORE_H_
