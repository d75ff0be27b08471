// Who a data call acts as in the database: the Caller the guard verified,
// with the admin level authz decided for it.
#ifndef BASTION_SERVICES_DATA_DOMAIN_CALLER_SCOPE_H_
#define BASTION_SERVICES_DATA_DOMAIN_CALLER_SCOPE_H_

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "common/pg/principal_transaction.h"

namespace bastion::data::domain {

// The caller's tenant and subject at the admin level authz decided
// (Caller::admin_level; none when authz was not asked). The principal's
// scopes play no part: authz alone decides who is an admin.
// UNAUTHENTICATED when the principal lacks a tenant or a subject (fail
// closed: such a principal would match no row, but it must not get that
// far).
absl::StatusOr<pg::PrincipalScope> ScopeOf(const Caller &caller);

// ScopeOf, raised to admin level "tenant" for an approver (Caller::approver)
// so the database lets it reach its tenant's approvals (audited as an
// admin's access).
absl::StatusOr<pg::PrincipalScope> ApproverScopeOf(const Caller &caller);

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_CALLER_SCOPE_H_
