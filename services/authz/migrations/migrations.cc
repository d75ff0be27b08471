// authz's migration set; see migrations.h.
#include "services/authz/migrations/migrations.h"

namespace bastion::authz {

const pg::MigrationSet& AuthzMigrations() {
  static const pg::MigrationSet* const kSet = new pg::MigrationSet{
      /*name=*/"authz",
      /*service_role=*/"bastion_authz_svc",
      /*history_table=*/"bastion_migrations.authz_schema_migrations",
      /*migrations=*/{
#include "services/authz/migrations/embedded_migrations.inc"
      }};
  return *kSet;
}

}  // namespace bastion::authz
