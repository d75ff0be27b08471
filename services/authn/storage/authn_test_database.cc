#include "services/authn/storage/authn_test_database.h"

#include "common/pg/pg_connection.h"
#include "common/status/status_macros.h"
#include "services/authn/migrations/migrations.h"
#include "services/data/migrate/migrate.h"

namespace bastion::authn::testing {

namespace migrate = ::bastion::data::migrate;
using ::bastion::testing::TestDatabase;

absl::StatusOr<std::unique_ptr<TestDatabase>> CreateAuthnTestDatabase() {
  ASSIGN_OR_RETURN(std::unique_ptr<TestDatabase> db,
                   TestDatabase::Create({/*migrate=*/false}));
  {
    ASSIGN_OR_RETURN(std::unique_ptr<pg::PgConnection> admin,
                     pg::PgConnection::Connect(db->superuser_conninfo()));
    RETURN_IF_ERROR(
        migrate::EnsureServiceRole(*admin, migrate::kAuthnServiceRole));
    RETURN_IF_ERROR(
        migrate::GrantConnect(*admin, db->name(), migrate::kAuthnServiceRole));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pg::PgConnection> owner,
                   pg::PgConnection::Connect(db->owner_conninfo()));
  RETURN_IF_ERROR(migrate::ApplyMigrations(*owner,
                                           migrations::EmbeddedMigrations(),
                                           migrate::kAuthnHistoryTable)
                      .status());
  return db;
}

std::string AuthnServiceConninfo(const TestDatabase& db) {
  return db.Conninfo(migrate::kAuthnServiceRole);
}

}  // namespace bastion::authn::testing
