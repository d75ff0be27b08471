// TestDatabase itself: a fresh database per call, migrated with the set it
// is given and reachable as each role, dropped afterwards; a missing
// environment fails loudly.
#include "tests/pg/test_database.h"

#include <cstdlib>
#include <string>

#include "common/pg/pg_connection.h"
#include "gtest/gtest.h"
#include "tests/pg/test_migrations.h"

namespace bastion::testing {
namespace {

constexpr char kExists[] = "SELECT count(*) FROM pg_database WHERE datname = $1";
constexpr char kWhoAmI[] = "SELECT current_user";
constexpr char kMigrated[] =
    "SELECT count(*) FROM bastion_migrations.test_schema_migrations";
constexpr char kItems[] = "SELECT count(*) FROM bastion_test.items";

TEST(TestDatabaseTest, CreatesMigratedDatabaseAndDropsIt) {
  std::string name;
  std::string superuser;
  {
    auto db = TestDatabase::Create(TestMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    name = (*db)->name();
    superuser = (*db)->superuser_conninfo();
    for (auto [conninfo, role] :
         {std::pair{(*db)->owner_conninfo(), "bastion_owner"},
          std::pair{(*db)->service_conninfo(), "bastion_test_svc"},
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
    EXPECT_EQ(migrated->Get(0, 0), "2");
    // The set's service role reaches its schema.
    auto service = pg::PgConnection::Connect((*db)->service_conninfo());
    ASSERT_TRUE(service.ok()) << service.status();
    auto items = (*service)->Execute({kItems, {}});
    ASSERT_TRUE(items.ok()) << items.status();
    EXPECT_EQ(items->Get(0, 0), "0");
    auto other = TestDatabase::Create(TestMigrations());
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

TEST(TestDatabaseTest, WithoutMigrateTheSchemaIsAbsentButTheRoleReachesIt) {
  auto db = TestDatabase::Create(TestMigrations(), {/*migrate=*/false});
  ASSERT_TRUE(db.ok()) << db.status();
  auto service = pg::PgConnection::Connect((*db)->service_conninfo());
  ASSERT_TRUE(service.ok()) << service.status();
  auto items = (*service)->Execute({kItems, {}});
  ASSERT_FALSE(items.ok());
  EXPECT_EQ(items.status().code(), absl::StatusCode::kInternal);  // 42P01
}

TEST(TestDatabaseTest, EmptyDatabaseHasOnlyTheOwner) {
  auto db = TestDatabase::CreateEmpty();
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->service_conninfo(), "");
  auto owner = pg::PgConnection::Connect((*db)->owner_conninfo());
  ASSERT_TRUE(owner.ok()) << owner.status();
  auto tables = (*owner)->Execute(
      {"SELECT count(*) FROM pg_tables WHERE schemaname LIKE 'bastion%'", {}});
  ASSERT_TRUE(tables.ok()) << tables.status();
  EXPECT_EQ(tables->Get(0, 0), "0");
}

TEST(TestDatabaseTest, MissingEnvironmentFailsWithInstructions) {
  const char* host = std::getenv("BASTION_TEST_PGHOST");
  const std::string saved = host != nullptr ? host : "";
  unsetenv("BASTION_TEST_PGHOST");
  auto db = TestDatabase::Create(TestMigrations());
  if (!saved.empty()) setenv("BASTION_TEST_PGHOST", saved.c_str(), 1);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("BASTION_TEST_PGHOST"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace bastion::testing
