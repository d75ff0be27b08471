// authn's SQL migrations (schema bastion_authn), compiled into the binary
// from services/authn/migrations/NNNN_name.sql and applied by
// `migrate --schema=authn` into bastion_migrations.authn_schema_migrations.
#ifndef BASTION_SERVICES_AUTHN_MIGRATIONS_MIGRATIONS_H_
#define BASTION_SERVICES_AUTHN_MIGRATIONS_MIGRATIONS_H_

#include <vector>

#include "services/data/migrate/migrations.h"

namespace bastion::authn::migrations {

// Every embedded authn migration, ordered by version (1..N, no gaps).
const std::vector<::bastion::data::migrate::Migration>& EmbeddedMigrations();

}  // namespace bastion::authn::migrations

#endif  // BASTION_SERVICES_AUTHN_MIGRATIONS_MIGRATIONS_H_
