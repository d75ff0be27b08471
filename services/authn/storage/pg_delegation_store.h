// DelegationStore on PostgreSQL (bastion_authn.delegations). Calls for a
// known owner run as that owner in one pipelined principal transaction
// (row-level security shows nothing else); Find runs before the owner is
// known, through the SECURITY DEFINER function
// bastion_authn.find_delegation, which returns only the row with that id.
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

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::authn::storage

#endif  // BASTION_SERVICES_AUTHN_STORAGE_PG_DELEGATION_STORE_H_
