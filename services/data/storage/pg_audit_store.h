// AuditStore on PostgreSQL (bastion_data.audit_events, append-only).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/audit_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgAuditStore : public AuditStore {
 public:
  explicit PgAuditStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListAuditEventsRequest& request) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_STORE_H_
