// Decisions for a verified principal: its own scopes plus the scopes of its
// roles (RoleSet::EffectiveScopes), fed to the pure functions of
// decision.h. What authz's Check answers.
#ifndef BASTION_SERVICES_AUTHZ_POLICY_PRINCIPAL_DECISION_H_
#define BASTION_SERVICES_AUTHZ_POLICY_PRINCIPAL_DECISION_H_

#include "bastion/common/v1/common.pb.h"
#include "services/authz/policy/decision.h"
#include "services/authz/policy/roles.h"

namespace bastion::authz {

// Decide(role_set.EffectiveScopes(principal), needed).
Decision DecideForPrincipal(const RoleSet& role_set,
                            const bastion::common::v1::Principal& principal,
                            const Permission& needed);

// LevelOf(role_set.EffectiveScopes(principal)): an "owner" by role is a
// tenant admin even when its token carries no admin scope.
AdminLevel LevelOfPrincipal(const RoleSet& role_set,
                            const bastion::common::v1::Principal& principal);

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_PRINCIPAL_DECISION_H_
