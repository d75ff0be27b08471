// MemoryStore on PostgreSQL (bastion_data.memories).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_MEMORY_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_MEMORY_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/memory_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgMemoryStore : public MemoryStore {
 public:
  explicit PgMemoryStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::Memory> CreateMemory(
      const pg::PrincipalScope& scope,
      const v1::CreateMemoryRequest& request) override;
  absl::StatusOr<v1::Memory> GetMemory(
      const pg::PrincipalScope& scope,
      const v1::GetMemoryRequest& request) override;
  absl::StatusOr<v1::ListMemoriesResponse> ListMemories(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListMemoriesRequest& request) override;
  absl::StatusOr<v1::Memory> UpdateMemory(
      const pg::PrincipalScope& scope,
      const v1::UpdateMemoryRequest& request) override;
  absl::Status DeleteMemory(const pg::PrincipalScope& scope,
                            const v1::DeleteMemoryRequest& request) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_MEMORY_STORE_H_
