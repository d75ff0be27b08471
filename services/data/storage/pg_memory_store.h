// MemoryStore on PostgreSQL (bastion_data.memories).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_MEMORY_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_MEMORY_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/memory_store.h"
#include "services/data/storage/principal_scope.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgMemoryStore : public MemoryStore {
 public:
  explicit PgMemoryStore(pg::PgPool& pool,
                         AdminScopes admin_scopes = AdminScopes())
      : pool_(pool), admin_scopes_(std::move(admin_scopes)) {}

  absl::StatusOr<v1::Memory> CreateMemory(
      const Actor& actor,
      const v1::CreateMemoryRequest& request) override;
  absl::StatusOr<v1::Memory> GetMemory(
      const Actor& actor,
      const v1::GetMemoryRequest& request) override;
  absl::StatusOr<v1::ListMemoriesResponse> ListMemories(
      const Actor& actor,
      const v1::ListMemoriesRequest& request) override;
  absl::StatusOr<v1::Memory> UpdateMemory(
      const Actor& actor,
      const v1::UpdateMemoryRequest& request) override;
  absl::Status DeleteMemory(const Actor& actor,
                            const v1::DeleteMemoryRequest& request) override;

 private:
  pg::PgPool& pool_;
  const AdminScopes admin_scopes_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_MEMORY_STORE_H_
