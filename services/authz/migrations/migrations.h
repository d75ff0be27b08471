// authz's SQL migrations (schema bastion_authz), compiled into the binary
// from services/authz/migrations/NNNN_name.sql and applied by
// `migrate --schema=authz` into bastion_migrations.authz_schema_migrations.
#ifndef BASTION_SERVICES_AUTHZ_MIGRATIONS_MIGRATIONS_H_
#define BASTION_SERVICES_AUTHZ_MIGRATIONS_MIGRATIONS_H_

#include <vector>

#include "services/data/migrate/migrations.h"

namespace bastion::authz::migrations {

// Every embedded authz migration, ordered by version (1..N, no gaps).
const std::vector<::bastion::data::migrate::Migration>& EmbeddedMigrations();

}  // namespace bastion::authz::migrations

#endif  // BASTION_SERVICES_AUTHZ_MIGRATIONS_MIGRATIONS_H_
