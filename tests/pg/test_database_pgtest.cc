// TestDatabase itself: a fresh migrated database per call, reachable as
// each role, dropped afterwards; a missing environment fails loudly.
#include "tests/pg/test_database.h"

#include <cstdlib>
#include <string>

#include "common/pg/pg_connection.h"
#include "gtest/gtest.h"

namespace bastion::testing {
namespace {

constexpr char kExists[] = "SELECT count(*) FROM pg_database WHERE datname = $1";
constexpr char kWhoAmI[] = "SELECT current_user";
constexpr char kMigrated[] =
    "SELECT count(*) FROM bastion_migrations.schema_migrations";

TEST(TestDatabaseTest, CreatesMigratedDatabaseAndDropsIt) {
  std::string name;
  std::string superuser;
  {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    name = (*db)->name();
    superuser = (*db)->superuser_conninfo();
    for (auto [conninfo, role] :
         {std::pair{(*db)->owner_conninfo(), "bastion_owner"},
          std::pair{(*db)->service_conninfo(), "bastion_data_svc"},
          std::pair{superuser, "postgres"}}) {
      auto conn = pg::PgConnection::Connect(conninfo);
      ASSERT_TRUE(conn.ok()) << conn.status();
      auto who = (*conn)->Execute({kWhoAmI, {}});
      ASSERT_TRUE(who.ok()) << who.status();
      EXPECT_EQ(who->Get(0, 0), role);
    }
    auto owner = pg::PgConnection::Connect((*db)->owner_conninfo());
    ASSERT_TRUE(owner.ok());
    auto migrated = (*owner)->Execute({kMigrated, {}});
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    EXPECT_NE(migrated->Get(0, 0), "0");
    auto other = TestDatabase::Create();
    ASSERT_TRUE(other.ok()) << other.status();
    EXPECT_NE((*other)->name(), name);
  }
  // Superuser conninfo of a dropped database: reach the cluster through
  // the maintenance database instead.
  const std::string maintenance =
      superuser.substr(0, superuser.find("dbname=")) +
      "dbname=postgres user=postgres";
  auto conn = pg::PgConnection::Connect(maintenance);
  ASSERT_TRUE(conn.ok()) << conn.status();
  auto exists = (*conn)->Execute({kExists, {name}});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(exists->Get(0, 0), "0");
}

TEST(TestDatabaseTest, MissingEnvironmentFailsWithInstructions) {
  const char* host = std::getenv("BASTION_TEST_PGHOST");
  const std::string saved = host != nullptr ? host : "";
  unsetenv("BASTION_TEST_PGHOST");
  auto db = TestDatabase::Create();
  if (!saved.empty()) setenv("BASTION_TEST_PGHOST", saved.c_str(), 1);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("BASTION_TEST_PGHOST"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace bastion::testing
