#include "services/data/domain/caller_scope.h"

namespace bastion::data::domain {

absl::StatusOr<pg::PrincipalScope> ScopeOf(const Caller &caller) {
  const common::v1::Principal &principal = caller.principal;
  if (principal.tenant_id().empty() || principal.subject().empty()) {
    return absl::UnauthenticatedError("principal without tenant or subject");
  }
  return pg::PrincipalScope{principal.tenant_id(), principal.subject(),
                            caller.admin_level.value_or(AdminLevel::kNone)};
}

absl::StatusOr<pg::PrincipalScope> ApproverScopeOf(const Caller &caller) {
  absl::StatusOr<pg::PrincipalScope> scope = ScopeOf(caller);
  if (scope.ok() && caller.approver &&
      scope->admin_level == pg::AdminLevel::kNone) {
    scope->admin_level = pg::AdminLevel::kTenant;
  }
  return scope;
}

}  // namespace bastion::data::domain
