// RoleStore in memory, with an audit list: the fake the policy engine and
// role admin tests run against (the PostgreSQL store has its own pgtest).
#ifndef BASTION_SERVICES_AUTHZ_STORAGE_MEMORY_ROLE_STORE_H_
#define BASTION_SERVICES_AUTHZ_STORAGE_MEMORY_ROLE_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/authz/storage/role_store.h"

namespace bastion::authz {

// Thread-safe.
class MemoryRoleStore final : public RoleStore {
 public:
  struct AuditEntry {
    std::string tenant_id;
    std::string actor;
    std::string action;
    std::string role_name;
    int64_t version = 0;
  };

  absl::StatusOr<int64_t> Version(const common::v1::Principal& actor) override;
  absl::StatusOr<StoredPolicy> Load(
      const common::v1::Principal& actor) override;
  absl::StatusOr<int64_t> PutRole(const common::v1::Principal& actor,
                                  const Role& role) override;
  absl::StatusOr<int64_t> DeleteRole(const common::v1::Principal& actor,
                                     absl::string_view name) override;
  absl::StatusOr<int64_t> PutToolPolicy(const common::v1::Principal& actor,
                                        const ToolPolicy& policy) override;

  // Makes every call fail with UNAVAILABLE (a database outage).
  void SetUnavailable(bool unavailable);
  // Calls of Version and Load so far (reload tests count them).
  int version_calls() const;
  int load_calls() const;
  std::vector<AuditEntry> audit() const;

 private:
  absl::Status Check(const common::v1::Principal& actor) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  int64_t Bump(const common::v1::Principal& actor, const char* action,
               absl::string_view role_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  std::map<std::string, StoredPolicy> tenants_ ABSL_GUARDED_BY(mutex_);
  std::vector<AuditEntry> audit_ ABSL_GUARDED_BY(mutex_);
  bool unavailable_ ABSL_GUARDED_BY(mutex_) = false;
  int version_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  int load_calls_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_STORAGE_MEMORY_ROLE_STORE_H_
