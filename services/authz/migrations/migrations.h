// authz's schema bastion_authz as a migration set: the SQL of
// services/authz/migrations/NNNN_name.sql (compiled in), the role authz
// logs in as, and the table recording what was applied.
#ifndef BASTION_SERVICES_AUTHZ_MIGRATIONS_MIGRATIONS_H_
#define BASTION_SERVICES_AUTHZ_MIGRATIONS_MIGRATIONS_H_

#include "common/pg/migrate.h"

namespace bastion::authz {

// `migrate --schema=authz`: schema bastion_authz, service role
// bastion_authz_svc, recorded in bastion_migrations.authz_schema_migrations.
const pg::MigrationSet& AuthzMigrations();

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_MIGRATIONS_MIGRATIONS_H_
