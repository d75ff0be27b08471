// Turns a verified Principal into the database identity its queries run as.
#ifndef BASTION_SERVICES_DATA_STORAGE_PRINCIPAL_SCOPE_H_
#define BASTION_SERVICES_DATA_STORAGE_PRINCIPAL_SCOPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/admin_level.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/actor.h"

namespace bastion::data::storage {

// The scopes that make a principal an admin (common/auth/admin_level.h).
using AdminScopes = ::bastion::AdminScopes;

// kPlatform if the principal holds the platform admin scope, else kTenant
// if it holds the tenant admin scope, else kNone. Scopes only: roles are
// authz's to expand.
pg::AdminLevel AdminLevelFor(const common::v1::Principal& principal,
                             const AdminScopes& admin_scopes = AdminScopes());

// The actor's admin level: what authz granted for the call if it was asked
// (authz alone decides then, by scopes and roles), else the principal's
// own scopes (AdminLevelFor).
pg::AdminLevel AdminLevelOf(const Actor& actor,
                            const AdminScopes& admin_scopes = AdminScopes());

// The PrincipalScope for the principal's requests. UNAUTHENTICATED when
// the principal lacks a tenant or a subject (fail closed: such a principal
// would match no row, but it must not get that far).
absl::StatusOr<pg::PrincipalScope> ScopeFor(
    const Actor& actor, const AdminScopes& admin_scopes = AdminScopes());

// True if the principal may resolve approvals of other users of its tenant:
// "approvals:write", "approvals:*:write", or an admin.
bool IsApprover(const Actor& actor,
                const AdminScopes& admin_scopes = AdminScopes());

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PRINCIPAL_SCOPE_H_
