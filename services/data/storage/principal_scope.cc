#include "services/data/storage/principal_scope.h"

namespace bastion::data::storage {

pg::AdminLevel AdminLevelFor(const common::v1::Principal& principal,
                             const AdminScopes& admin_scopes) {
  bool tenant = false;
  for (const std::string& scope : principal.scopes()) {
    if (!admin_scopes.platform_admin.empty() &&
        scope == admin_scopes.platform_admin) {
      return pg::AdminLevel::kPlatform;
    }
    if (!admin_scopes.tenant_admin.empty() &&
        scope == admin_scopes.tenant_admin) {
      tenant = true;
    }
  }
  return tenant ? pg::AdminLevel::kTenant : pg::AdminLevel::kNone;
}

pg::AdminLevel AdminLevelOf(const Actor& actor,
                            const AdminScopes& admin_scopes) {
  if (actor.granted.has_value()) return *actor.granted;
  return AdminLevelFor(actor.principal, admin_scopes);
}

absl::StatusOr<pg::PrincipalScope> ScopeFor(const Actor& actor,
                                            const AdminScopes& admin_scopes) {
  const common::v1::Principal& principal = actor.principal;
  if (principal.tenant_id().empty() || principal.subject().empty()) {
    return absl::UnauthenticatedError("principal without tenant or subject");
  }
  return pg::PrincipalScope{principal.tenant_id(), principal.subject(),
                            AdminLevelOf(actor, admin_scopes)};
}

bool IsApprover(const Actor& actor, const AdminScopes& admin_scopes) {
  if (AdminLevelOf(actor, admin_scopes) != pg::AdminLevel::kNone) return true;
  for (const std::string& scope : actor.principal.scopes()) {
    if (scope == "approvals:write" || scope == "approvals:*:write") return true;
  }
  return false;
}

}  // namespace bastion::data::storage
