// The data service's migration set; see migrations.h.
#include "services/data/migrations/migrations.h"

namespace bastion::data {

const pg::MigrationSet& DataMigrations() {
  static const pg::MigrationSet* const kSet = new pg::MigrationSet{
      /*name=*/"data",
      /*service_role=*/"bastion_data_svc",
      /*history_table=*/"bastion_migrations.schema_migrations",
      /*migrations=*/{
#include "services/data/migrations/embedded_migrations.inc"
      }};
  return *kSet;
}

}  // namespace bastion::data
