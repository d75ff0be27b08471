// Decisions for a verified principal; see principal_decision.h.
#include "services/authz/policy/principal_decision.h"

namespace bastion::authz {

Decision DecideForPrincipal(const RoleSet& role_set,
                            const bastion::common::v1::Principal& principal,
                            const Permission& needed) {
  return Decide(role_set.EffectiveScopes(principal), needed);
}

AdminLevel LevelOfPrincipal(const RoleSet& role_set,
                            const bastion::common::v1::Principal& principal) {
  return LevelOf(role_set.EffectiveScopes(principal));
}

}  // namespace bastion::authz
