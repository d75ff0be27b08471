// The data service's schema bastion_data as a migration set: the SQL of
// services/data/migrations/NNNN_name.sql (compiled in), the role the
// service logs in as, and the table recording what was applied.
#ifndef BASTION_SERVICES_DATA_MIGRATIONS_MIGRATIONS_H_
#define BASTION_SERVICES_DATA_MIGRATIONS_MIGRATIONS_H_

#include "common/pg/migrate.h"

namespace bastion::data {

// `migrate --schema=data`: schema bastion_data, service role
// bastion_data_svc, recorded in bastion_migrations.schema_migrations.
const pg::MigrationSet& DataMigrations();

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_MIGRATIONS_MIGRATIONS_H_
