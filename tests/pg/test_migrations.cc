// The test migration set; see test_migrations.h.
#include "tests/pg/test_migrations.h"

namespace bastion::testing {

const pg::MigrationSet& TestMigrations() {
  static const pg::MigrationSet* const kSet = new pg::MigrationSet{
      /*name=*/"test",
      /*service_role=*/"bastion_test_svc",
      /*history_table=*/"bastion_migrations.test_schema_migrations",
      /*migrations=*/{
          {1, "items",
           "CREATE SCHEMA bastion_test;"
           " REVOKE ALL ON SCHEMA bastion_test FROM PUBLIC;"
           " GRANT USAGE ON SCHEMA bastion_test TO bastion_test_svc;"
           " CREATE TABLE bastion_test.items (id text PRIMARY KEY);"
           " GRANT SELECT, INSERT ON bastion_test.items TO bastion_test_svc;"},
          {2, "notes",
           "CREATE TABLE bastion_test.notes (id text PRIMARY KEY, body text);"
           " GRANT SELECT ON bastion_test.notes TO bastion_test_svc;"},
      }};
  return *kSet;
}

}  // namespace bastion::testing
