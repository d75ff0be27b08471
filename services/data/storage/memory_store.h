// Storage seam for memories (replaceable in tests and other deployments).
#ifndef BASTION_SERVICES_DATA_STORAGE_MEMORY_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_MEMORY_STORE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "services/data/storage/actor.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// Every call acts as `principal` (see SessionStore for the rules).
// Implementations are thread-safe.
class MemoryStore {
 public:
  virtual ~MemoryStore() = default;

  virtual absl::StatusOr<v1::Memory> CreateMemory(
      const Actor& actor,
      const v1::CreateMemoryRequest& request) = 0;
  virtual absl::StatusOr<v1::Memory> GetMemory(
      const Actor& actor,
      const v1::GetMemoryRequest& request) = 0;
  virtual absl::StatusOr<v1::ListMemoriesResponse> ListMemories(
      const Actor& actor,
      const v1::ListMemoriesRequest& request) = 0;
  virtual absl::StatusOr<v1::Memory> UpdateMemory(
      const Actor& actor,
      const v1::UpdateMemoryRequest& request) = 0;
  virtual absl::Status DeleteMemory(const Actor& actor,
                                    const v1::DeleteMemoryRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_MEMORY_STORE_H_
