// authn's migration set; see migrations.h.
#include "services/authn/migrations/migrations.h"

namespace bastion::authn {

const pg::MigrationSet& AuthnMigrations() {
  static const pg::MigrationSet* const kSet = new pg::MigrationSet{
      /*name=*/"authn",
      /*service_role=*/"bastion_authn_svc",
      /*history_table=*/"bastion_migrations.authn_schema_migrations",
      /*migrations=*/{
#include "services/authn/migrations/embedded_migrations.inc"
      }};
  return *kSet;
}

}  // namespace bastion::authn
