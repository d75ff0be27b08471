// The memories domain: checks a caller's memory requests and decides whose
// rows they reach, then hands them to the store.
#ifndef BASTION_SERVICES_DATA_DOMAIN_MEMORIES_H_
#define BASTION_SERVICES_DATA_DOMAIN_MEMORIES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "services/data/storage/memory_store.h"

namespace bastion::data::domain {

// Every call acts as the caller, like Sessions (sessions.h). Thread-safe;
// `store` must outlive it.
class Memories {
 public:
  explicit Memories(storage::MemoryStore &store) : store_(store) {}

  absl::StatusOr<v1::Memory> CreateMemory(
      const Caller &caller, const v1::CreateMemoryRequest &request);
  absl::StatusOr<v1::Memory> GetMemory(const Caller &caller,
                                       const v1::GetMemoryRequest &request);
  absl::StatusOr<v1::ListMemoriesResponse> ListMemories(
      const Caller &caller, const v1::ListMemoriesRequest &request);
  absl::StatusOr<v1::Memory> UpdateMemory(
      const Caller &caller, const v1::UpdateMemoryRequest &request);
  absl::Status DeleteMemory(const Caller &caller,
                            const v1::DeleteMemoryRequest &request);

 private:
  storage::MemoryStore &store_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_MEMORIES_H_
