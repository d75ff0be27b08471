// A small migration set of its own for the tests of the migration runner
// and of TestDatabase: schema bastion_test, two migrations, service role
// bastion_test_svc. Test-only.
#ifndef BASTION_TESTS_PG_TEST_MIGRATIONS_H_
#define BASTION_TESTS_PG_TEST_MIGRATIONS_H_

#include "common/pg/migrate.h"

namespace bastion::testing {

// Recorded in bastion_migrations.test_schema_migrations. Migration 1
// creates bastion_test.items (SELECT, INSERT for the service role),
// migration 2 bastion_test.notes (SELECT only).
const pg::MigrationSet& TestMigrations();

}  // namespace bastion::testing

#endif  // BASTION_TESTS_PG_TEST_MIGRATIONS_H_
