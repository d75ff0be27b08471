// authn's schema bastion_authn as a migration set: the SQL of
// services/authn/migrations/NNNN_name.sql (compiled in), the role authn
// logs in as, and the table recording what was applied.
#ifndef BASTION_SERVICES_AUTHN_MIGRATIONS_MIGRATIONS_H_
#define BASTION_SERVICES_AUTHN_MIGRATIONS_MIGRATIONS_H_

#include "common/pg/migrate.h"

namespace bastion::authn {

// `migrate --schema=authn`: schema bastion_authn, service role
// bastion_authn_svc, recorded in bastion_migrations.authn_schema_migrations.
const pg::MigrationSet& AuthnMigrations();

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_MIGRATIONS_MIGRATIONS_H_
