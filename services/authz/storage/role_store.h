// Where a tenant's custom roles, tool policy and policy version are kept.
// A seam: PostgreSQL (PgRoleStore) in deployment, MemoryRoleStore in tests.
#ifndef BASTION_SERVICES_AUTHZ_STORAGE_ROLE_STORE_H_
#define BASTION_SERVICES_AUTHZ_STORAGE_ROLE_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "services/authz/policy/roles.h"

namespace bastion::authz {

// A custom role with the tenant policy version at which it last changed.
struct StoredRole {
  Role role;
  int64_t version = 0;
};

// One tenant's stored policy. Version 0, no roles and an empty tool policy
// for a tenant that never changed anything.
struct StoredPolicy {
  int64_t version = 0;
  // Sorted by name.
  std::vector<StoredRole> roles;
  ToolPolicy tool_policy;
};

// Every method acts on the tenant of `actor` (the verified caller) and no
// other: there is no tenant parameter, so no caller can address another
// tenant's roles. `actor` also names who made a change in the audit trail.
// Writes are not validated here (the caller validates with RoleSet); each
// bumps the tenant's version by one and appends an audit row in the same
// transaction. Errors: UNAVAILABLE when the store cannot be reached,
// INVALID_ARGUMENT for an actor without tenant or subject.
// Implementations are thread-safe.
class RoleStore {
 public:
  virtual ~RoleStore() = default;

  // The tenant's current version: one cheap lookup, for reload checks.
  virtual absl::StatusOr<int64_t> Version(
      const common::v1::Principal& actor) = 0;

  // Everything, as of one consistent moment.
  virtual absl::StatusOr<StoredPolicy> Load(
      const common::v1::Principal& actor) = 0;

  // Creates or replaces a custom role; returns the new version.
  virtual absl::StatusOr<int64_t> PutRole(const common::v1::Principal& actor,
                                          const Role& role) = 0;

  // NOT_FOUND (and nothing changes) when the tenant has no such role;
  // otherwise returns the new version.
  virtual absl::StatusOr<int64_t> DeleteRole(const common::v1::Principal& actor,
                                             absl::string_view name) = 0;

  // Replaces the tenant's tool policy; returns the new version.
  virtual absl::StatusOr<int64_t> PutToolPolicy(
      const common::v1::Principal& actor, const ToolPolicy& policy) = 0;
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_STORAGE_ROLE_STORE_H_
