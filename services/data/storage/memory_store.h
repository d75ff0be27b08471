// Storage seam for memories (replaceable in tests and other deployments).
#ifndef BASTION_SERVICES_DATA_STORAGE_MEMORY_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_MEMORY_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// Every call runs as `scope` on checked requests (see SessionStore).
// Implementations are thread-safe.
class MemoryStore {
 public:
  virtual ~MemoryStore() = default;

  virtual absl::StatusOr<v1::Memory> CreateMemory(
      const pg::PrincipalScope& scope,
      const v1::CreateMemoryRequest& request) = 0;
  virtual absl::StatusOr<v1::Memory> GetMemory(
      const pg::PrincipalScope& scope,
      const v1::GetMemoryRequest& request) = 0;
  virtual absl::StatusOr<v1::ListMemoriesResponse> ListMemories(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListMemoriesRequest& request) = 0;
  virtual absl::StatusOr<v1::Memory> UpdateMemory(
      const pg::PrincipalScope& scope,
      const v1::UpdateMemoryRequest& request) = 0;
  virtual absl::Status DeleteMemory(const pg::PrincipalScope& scope,
                                    const v1::DeleteMemoryRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_MEMORY_STORE_H_
