// MemoryRoleStore; see memory_role_store.h.
#include "services/authz/storage/memory_role_store.h"

#include <algorithm>
#include <utility>

namespace bastion::authz {

absl::Status MemoryRoleStore::Check(const common::v1::Principal& actor) const {
  if (unavailable_) return absl::UnavailableError("store unavailable");
  if (actor.tenant_id().empty() || actor.subject().empty()) {
    return absl::InvalidArgumentError("principal without tenant or user");
  }
  return absl::OkStatus();
}

int64_t MemoryRoleStore::Bump(const common::v1::Principal& actor,
                              const char* action, absl::string_view role_name) {
  StoredPolicy& policy = tenants_[actor.tenant_id()];
  policy.version += 1;
  audit_.push_back(AuditEntry{actor.tenant_id(), actor.subject(), action,
                              std::string(role_name), policy.version});
  return policy.version;
}

absl::StatusOr<int64_t> MemoryRoleStore::Version(
    const common::v1::Principal& actor) {
  absl::MutexLock lock(&mutex_);
  ++version_calls_;
  if (absl::Status status = Check(actor); !status.ok()) return status;
  auto it = tenants_.find(actor.tenant_id());
  return it == tenants_.end() ? 0 : it->second.version;
}

absl::StatusOr<StoredPolicy> MemoryRoleStore::Load(
    const common::v1::Principal& actor) {
  absl::MutexLock lock(&mutex_);
  ++load_calls_;
  if (absl::Status status = Check(actor); !status.ok()) return status;
  auto it = tenants_.find(actor.tenant_id());
  return it == tenants_.end() ? StoredPolicy{} : it->second;
}

absl::StatusOr<int64_t> MemoryRoleStore::PutRole(
    const common::v1::Principal& actor, const Role& role) {
  absl::MutexLock lock(&mutex_);
  if (absl::Status status = Check(actor); !status.ok()) return status;
  const int64_t version = Bump(actor, "put_role", role.name);
  std::vector<StoredRole>& roles = tenants_[actor.tenant_id()].roles;
  auto it = std::find_if(roles.begin(), roles.end(), [&](const StoredRole& r) {
    return r.role.name == role.name;
  });
  if (it != roles.end()) {
    *it = StoredRole{role, version};
  } else {
    roles.push_back(StoredRole{role, version});
    std::sort(roles.begin(), roles.end(),
              [](const StoredRole& a, const StoredRole& b) {
                return a.role.name < b.role.name;
              });
  }
  return version;
}

absl::StatusOr<int64_t> MemoryRoleStore::DeleteRole(
    const common::v1::Principal& actor, absl::string_view name) {
  absl::MutexLock lock(&mutex_);
  if (absl::Status status = Check(actor); !status.ok()) return status;
  auto tenant = tenants_.find(actor.tenant_id());
  if (tenant == tenants_.end()) return absl::NotFoundError("role not found");
  std::vector<StoredRole>& roles = tenant->second.roles;
  auto it = std::find_if(roles.begin(), roles.end(), [&](const StoredRole& r) {
    return r.role.name == name;
  });
  if (it == roles.end()) return absl::NotFoundError("role not found");
  roles.erase(it);
  return Bump(actor, "delete_role", name);
}

absl::StatusOr<int64_t> MemoryRoleStore::PutToolPolicy(
    const common::v1::Principal& actor, const ToolPolicy& policy) {
  absl::MutexLock lock(&mutex_);
  if (absl::Status status = Check(actor); !status.ok()) return status;
  tenants_[actor.tenant_id()].tool_policy = policy;
  return Bump(actor, "put_tool_policy", "");
}

void MemoryRoleStore::SetUnavailable(bool unavailable) {
  absl::MutexLock lock(&mutex_);
  unavailable_ = unavailable;
}

int MemoryRoleStore::version_calls() const {
  absl::MutexLock lock(&mutex_);
  return version_calls_;
}

int MemoryRoleStore::load_calls() const {
  absl::MutexLock lock(&mutex_);
  return load_calls_;
}

std::vector<MemoryRoleStore::AuditEntry> MemoryRoleStore::audit() const {
  absl::MutexLock lock(&mutex_);
  return audit_;
}

}  // namespace bastion::authz
