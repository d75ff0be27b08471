#include "services/authz/storage/authz_test_database.h"

#include "common/pg/pg_connection.h"
#include "common/status/status_macros.h"
#include "services/authz/migrations/migrations.h"
#include "services/data/migrate/migrate.h"

namespace bastion::authz {

absl::StatusOr<std::unique_ptr<testing::TestDatabase>>
CreateAuthzTestDatabase() {
  testing::TestDatabase::Options options;
  options.migrate = false;
  ASSIGN_OR_RETURN(std::unique_ptr<testing::TestDatabase> db,
                   testing::TestDatabase::Create(options));
  {
    ASSIGN_OR_RETURN(std::unique_ptr<pg::PgConnection> superuser,
                     pg::PgConnection::Connect(db->superuser_conninfo()));
    RETURN_IF_ERROR(data::migrate::EnsureServiceRole(
        *superuser, data::migrate::kAuthzServiceRole));
    RETURN_IF_ERROR(data::migrate::GrantConnect(
        *superuser, db->name(), data::migrate::kAuthzServiceRole));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<pg::PgConnection> owner,
                   pg::PgConnection::Connect(db->owner_conninfo()));
  RETURN_IF_ERROR(
      data::migrate::ApplyMigrations(*owner, migrations::EmbeddedMigrations(),
                                     data::migrate::kAuthzHistoryTable)
          .status());
  return db;
}

}  // namespace bastion::authz
