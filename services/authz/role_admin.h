// Changes to a tenant's custom roles and tool policy: validate (RoleSet),
// refuse escalation (grant_check.h), store (RoleStore: version bump and
// audit row in one transaction), and make this replica's engine see the
// change at once.
#ifndef BASTION_SERVICES_AUTHZ_ROLE_ADMIN_H_
#define BASTION_SERVICES_AUTHZ_ROLE_ADMIN_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/auth/audit_sink.h"
#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "services/authz/policy/roles.h"
#include "services/authz/policy_engine.h"
#include "services/authz/storage/role_store.h"

namespace bastion::authz {

// Bounds that keep a tenant's snapshot small.
inline constexpr std::size_t kMaxCustomRolesPerTenant = 100;
// Scopes or tools of one role; entries of one tool-policy list.
inline constexpr std::size_t kMaxEntriesPerList = 256;

// Thread-safe (the engine and the store are).
class RoleAdmin {
 public:
  // None is owned. `store` may be null (authz without a database): every
  // change then answers FAILED_PRECONDITION. `audit` (may be null) also
  // receives every change, for the suite's audit log; authz's own
  // role_audit table is written by the store either way.
  RoleAdmin(PolicyEngine* engine, RoleStore* store, AuditSink* audit = nullptr)
      : engine_(engine), store_(store), audit_(audit) {}

  // Creates or replaces a custom role of the caller's tenant.
  //   built-in or malformed name, malformed scope or tool, the platform
  //   admin scope, too many entries     -> INVALID_ARGUMENT (naming it)
  //   a scope / tool the caller does not hold, in the new role or in the
  //   role it replaces                  -> PERMISSION_DENIED (naming it)
  //   a new role past kMaxCustomRolesPerTenant -> RESOURCE_EXHAUSTED
  // Returns the role with the tenant's new policy version.
  absl::StatusOr<StoredRole> PutRole(const common::v1::Principal& caller,
                                     Role role);

  // NOT_FOUND when the tenant has no custom role by that name,
  // INVALID_ARGUMENT for a built-in name, PERMISSION_DENIED (naming it) for
  // a scope or tool of the role the caller does not hold. Returns the new
  // policy version.
  absl::StatusOr<int64_t> DeleteRole(const common::v1::Principal& caller,
                                     absl::string_view name);

  // Replaces the tenant's tool policy (INVALID_ARGUMENT for a bad tool
  // name; PERMISSION_DENIED unless the caller is a tenant or platform
  // admin). Returns the new policy version.
  absl::StatusOr<int64_t> PutToolPolicy(const common::v1::Principal& caller,
                                        ToolPolicy policy);

 private:
  absl::Status RequireStore(const common::v1::Principal& caller) const;
  // The caller's tenant's policy as stored now (changes are judged against
  // it, not against a snapshot up to kPolicyRecheckInterval old).
  absl::StatusOr<std::shared_ptr<const TenantPolicy>> StoredPolicyOf(
      const common::v1::Principal& caller);
  void Audit(const common::v1::Principal& caller, absl::string_view action,
             absl::string_view id, int64_t version) const;

  PolicyEngine* engine_;
  RoleStore* store_;
  AuditSink* audit_;
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_ROLE_ADMIN_H_
