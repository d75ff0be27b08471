// Whose rows a statement reaches: the (tenant, user) parameters every store
// statement starts with, decided from the principal's PrincipalScope.
#ifndef BASTION_SERVICES_DATA_STORAGE_OWNER_FILTER_H_
#define BASTION_SERVICES_DATA_STORAGE_OWNER_FILTER_H_

#include <string>

#include "common/pg/pg_connection.h"
#include "common/pg/principal_transaction.h"

// Owner conditions of list queries ($1 tenant, $2 user). One user's rows
// (the common call) use plain equalities, so PostgreSQL keeps one generic
// plan on the index instead of planning, with the RLS policy, on every
// call; admins' lists use the NULL-means-any form.
#define BASTION_ONE_OWNER " WHERE tenant_id = $1 AND user_id = $2"
#define BASTION_ANY_OWNER                       \
  " WHERE ($1::text IS NULL OR tenant_id = $1)" \
  " AND ($2::text IS NULL OR user_id = $2)"

// Owner conditions of by-id statements ($1 tenant, $2 user; ids are unique
// per tenant). One user's (the common call) are plain equalities: with the
// NULL-means-any form, the cached generic plan cannot use the user in an
// index, and under the RLS policy PostgreSQL may pick the owner index and
// visit every row of the user to find one. Tenant admins (user NULL) use
// the NULL-means-any form.
#define BASTION_BY_ID_THE_USER " tenant_id = $1 AND user_id = $2"
#define BASTION_BY_ID_ANY_USER \
  " tenant_id = $1 AND ($2::text IS NULL OR user_id = $2)"
// The [one owner] pair of a by-id statement `statement(owner)`, chosen
// with OneOwner(ByIdFilter(scope)).
#define BASTION_BY_ID(statement) \
  { statement(BASTION_BY_ID_ANY_USER), statement(BASTION_BY_ID_THE_USER) }

namespace bastion::data::storage {

// Text parameters for (tenant, user) filters. A non-admin is always
// pinned to itself; a tenant admin to its tenant and, optionally, one
// user; a platform admin to nothing (for lists) or its tenant (by id).
struct OwnerFilter {
  pg::Param tenant_id;
  pg::Param user_id;
};
// True when a list filter names one tenant and one user (BASTION_ONE_OWNER).
inline bool OneOwner(const OwnerFilter &filter) {
  return filter.tenant_id.has_value() && filter.user_id.has_value();
}

// For lists: `requested_user` (empty: any) is honoured only for admins.
OwnerFilter ListFilter(const pg::PrincipalScope &scope,
                       const std::string &requested_user);
// For by-id access: always the principal's tenant (ids are unique per
// tenant); the user only for non-admins.
OwnerFilter ByIdFilter(const pg::PrincipalScope &scope);

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_OWNER_FILTER_H_
