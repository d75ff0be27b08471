// DelegationStore on PostgreSQL (bastion_authn.delegations and
// bastion_authn.schedule_grants). Calls for a known owner run as that owner
// in one pipelined principal transaction (row-level security shows nothing
// else); Find and FindScheduleGrant run before the owner is known, through
// the SECURITY DEFINER functions bastion_authn.find_delegation and
// bastion_authn.find_schedule_grant, which return only the row with that
// id.
#ifndef BASTION_SERVICES_AUTHN_STORAGE_PG_DELEGATION_STORE_H_
#define BASTION_SERVICES_AUTHN_STORAGE_PG_DELEGATION_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/authn/storage/delegation_store.h"

namespace bastion::authn::storage {

// Thread-safe; `pool` (connected as bastion_authn_svc) must outlive it.
class PgDelegationStore final : public DelegationStore {
 public:
  explicit PgDelegationStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<DelegationRecord> Insert(
      const DelegationRecord& record) override;
  absl::StatusOr<std::optional<DelegationOwner>> Find(
      const std::string& delegation_id) override;
  absl::StatusOr<RenewResult> Renew(const DelegationOwner& owner,
                                    const std::string& delegation_id,
                                    absl::Time now) override;
  absl::StatusOr<DelegationRecord> End(const DelegationOwner& owner,
                                       const std::string& delegation_id,
                                       absl::Time now,
                                       const std::string& reason) override;
  absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<OwnedDelegations>& delegations, absl::Time now,
      const std::string& reason) override;
  absl::StatusOr<ScheduleGrantRecord> InsertScheduleGrant(
      const ScheduleGrantRecord& record) override;
  absl::StatusOr<std::optional<DelegationOwner>> FindScheduleGrant(
      const std::string& grant_id) override;
  absl::StatusOr<IssueResult> IssueRunDelegation(
      const DelegationOwner& owner, const std::string& grant_id,
      const std::string& delegation_id, const std::string& run_id,
      absl::Time now, absl::Time renewable_until) override;
  absl::StatusOr<ScheduleGrantRecord> EndScheduleGrant(
      const DelegationOwner& owner, const std::string& grant_id,
      absl::Time now, const std::string& reason) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::authn::storage

#endif  // BASTION_SERVICES_AUTHN_STORAGE_PG_DELEGATION_STORE_H_
