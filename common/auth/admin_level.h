// How far a caller's admin power reaches, as authz decides it from the
// principal's scopes and roles; the one definition every service shares
// (authz decides it, the call guard carries it, data's row security and
// PostgreSQL's `bastion.admin_level` setting apply it).
#ifndef BASTION_COMMON_AUTH_ADMIN_LEVEL_H_
#define BASTION_COMMON_AUTH_ADMIN_LEVEL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bastion {

enum class AdminLevel {
  kNone,      // "none": its own (tenant, user) data only.
  kTenant,    // "tenant": every user of its own tenant.
  kPlatform,  // "platform": every tenant.
};

// "none", "tenant" or "platform".
absl::string_view AdminLevelName(AdminLevel level);

// The inverse of AdminLevelName; anything else is kNone (no admin power).
AdminLevel AdminLevelFromName(absl::string_view name);

// The scopes that stand for each level in a credential. Defaults are
// AgentOS-compatible; matching is exact; an empty name matches nothing.
struct AdminScopes {
  // Every user of the principal's own tenant.
  std::string tenant_admin = "agent_os:admin";
  // Every tenant. Never assignable through a tenant's custom role.
  std::string platform_admin = "bastion:platform_admin";
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_ADMIN_LEVEL_H_
