// Who may write which role: a custom role may only grant what its author
// holds itself, and only who holds everything a role grants may change or
// delete it, so roles:write is not a path to more power. Pure functions over
// a RoleSet snapshot and the verified caller.
#ifndef BASTION_SERVICES_AUTHZ_GRANT_CHECK_H_
#define BASTION_SERVICES_AUTHZ_GRANT_CHECK_H_

#include "absl/status/status.h"
#include "bastion/common/v1/common.pb.h"
#include "services/authz/policy/roles.h"

namespace bastion::authz {

// OK when `caller` (with its effective scopes under `roles`) holds
// everything `role` grants:
//   "R:A", "R:*:A"     the caller is granted R/A for every id
//   "R:<id>:A"         the caller is granted R/A on that id
//   tenant admin scope the caller is a tenant (or platform) admin
//   platform admin     never (no custom role may hold it)
//   tool T             the caller's own runs may invoke T (DecideTool)
//   tool "*"           the caller is an admin, or one of its roles allows "*"
// Otherwise PERMISSION_DENIED naming the role and the first scope or tool
// the caller lacks. A malformed scope is INVALID_ARGUMENT (validate the
// role with RoleSet first).
absl::Status CheckCallerMayGrant(const RoleSet& roles,
                                 const common::v1::Principal& caller,
                                 const Role& role);

// OK when `caller` holds everything `current` (a stored role about to be
// replaced or deleted) grants now, by the rules above; a malformed scope of
// `current` grants nothing and so needs nothing. Otherwise PERMISSION_DENIED
// naming the role and the first scope or tool the caller lacks: changing or
// deleting a role needs every power it holds, so roles:write is no way to
// demote (or take over) a role more powerful than its author.
absl::Status CheckCallerMayChange(const RoleSet& roles,
                                  const common::v1::Principal& caller,
                                  const Role& current);

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_GRANT_CHECK_H_
