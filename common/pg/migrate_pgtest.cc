// The migration runner against a real PostgreSQL, with a set of its own
// (tests/pg/test_migrations.h): idempotence, checksums, roles, history
// tables.
#include "common/pg/migrate.h"

#include <memory>
#include <string>
#include <vector>

#include "common/pg/pg_connection.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/pg/test_database.h"
#include "tests/pg/test_migrations.h"

namespace bastion::pg {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::bastion::testing::TestDatabase;
using ::bastion::testing::TestMigrations;

constexpr char kRoleFlags[] =
    "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
    " FROM pg_roles WHERE rolname = $1";
constexpr char kOwnedBySvc[] =
    "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
    " WHERE r.rolname = 'bastion_test_svc'";
constexpr char kTablesOwner[] =
    "SELECT DISTINCT r.rolname FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_roles r ON r.oid = c.relowner"
    " WHERE n.nspname = 'bastion_test'";

// The test set with only its first `count` migrations.
MigrationSet FirstMigrations(size_t count) {
  MigrationSet set = TestMigrations();
  set.migrations.resize(count);
  return set;
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(TestMigrations(), {/*migrate=*/false});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto owner = PgConnection::Connect(db_->owner_conninfo());
    ASSERT_THAT(owner, IsOk());
    owner_ = *std::move(owner);
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgConnection> owner_;
};

TEST_F(MigrateTest, AppliesAllThenIsANoOp) {
  const MigrationSet& all = TestMigrations();
  ASSERT_EQ(all.migrations.size(), 2u);
  auto first = ApplyMigrations(*owner_, all);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(*first, (std::vector<int>{1, 2}));
  auto second = ApplyMigrations(*owner_, all);
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->empty());
  auto applied = ListApplied(*owner_, all);
  ASSERT_THAT(applied, IsOk());
  ASSERT_EQ(applied->size(), 2u);
  EXPECT_EQ((*applied)[0].checksum, Checksum(all.migrations[0].sql));
}

TEST_F(MigrateTest, AppliesOnlyWhatIsPending) {
  ASSERT_THAT(ApplyMigrations(*owner_, FirstMigrations(1)), IsOk());
  auto rest = ApplyMigrations(*owner_, TestMigrations());
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(*rest, (std::vector<int>{2}));
}

TEST_F(MigrateTest, ChangedAppliedMigrationIsRefused) {
  ASSERT_THAT(ApplyMigrations(*owner_, TestMigrations()), IsOk());
  MigrationSet edited = TestMigrations();
  const std::string changed =
      std::string(edited.migrations[0].sql) + "\n-- edited\n";
  edited.migrations[0].sql = changed.c_str();
  EXPECT_THAT(ApplyMigrations(*owner_, edited),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(MigrateTest, UnknownAppliedVersionIsRefused) {
  ASSERT_THAT(ApplyMigrations(*owner_, TestMigrations()), IsOk());
  EXPECT_THAT(ApplyMigrations(*owner_, FirstMigrations(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(MigrateTest, FailingMigrationLeavesNothingBehind) {
  MigrationSet broken = FirstMigrations(1);
  broken.migrations.push_back(
      {2, "broken", "CREATE TABLE bastion_test.half (x int); SELECT 1/0;"});
  EXPECT_THAT(ApplyMigrations(*owner_, broken),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 22012
  auto applied = ListApplied(*owner_, broken);
  ASSERT_THAT(applied, IsOk());
  EXPECT_EQ(applied->size(), 1u);
  auto half = owner_->Execute(
      {"SELECT to_regclass('bastion_test.half') IS NULL", {}});
  ASSERT_THAT(half, IsOk());
  EXPECT_EQ(half->Get(0, 0), "t");
}

TEST_F(MigrateTest, RolesAreUnprivilegedAndServiceOwnsNothing) {
  ASSERT_THAT(ApplyMigrations(*owner_, TestMigrations()), IsOk());
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  for (const std::string& role :
       {std::string(kOwnerRole), TestMigrations().service_role}) {
    auto flags = (*su)->Execute({kRoleFlags, {role}});
    ASSERT_THAT(flags, IsOk());
    ASSERT_EQ(flags->rows(), 1) << role;
    for (int c = 0; c < 4; ++c) EXPECT_EQ(flags->Get(0, c), "f") << role;
  }
  auto owned = (*su)->Execute({kOwnedBySvc, {}});
  ASSERT_THAT(owned, IsOk());
  EXPECT_EQ(owned->Get(0, 0), "0");
  auto owners = (*su)->Execute({kTablesOwner, {}});
  ASSERT_THAT(owners, IsOk());
  ASSERT_EQ(owners->rows(), 1);
  EXPECT_EQ(owners->Get(0, 0), "bastion_owner");
}

TEST_F(MigrateTest, ServiceRoleHasOnlyTheSetsGrants) {
  ASSERT_THAT(ApplyMigrations(*owner_, TestMigrations()), IsOk());
  auto svc = PgConnection::Connect(db_->service_conninfo());
  ASSERT_THAT(svc, IsOk());
  EXPECT_THAT((*svc)->Execute({"SELECT count(*) FROM bastion_test.items", {}}),
              IsOk());
  // SELECT only on notes; no DDL; no reading the history.
  EXPECT_THAT((*svc)->Execute(
                  {"INSERT INTO bastion_test.notes (id) VALUES ('n')", {}}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT((*svc)->ExecuteScript("CREATE TABLE bastion_test.x (i int)"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(
      (*svc)->Execute(
          {"SELECT count(*) FROM bastion_migrations.test_schema_migrations",
           {}}),
      StatusIs(absl::StatusCode::kInternal));
}

TEST(EnsureDatabaseTest, RejectsOddNames) {
  // Validation happens before any SQL, but a connection object is needed:
  // use the test cluster.
  auto db = TestDatabase::CreateEmpty();
  ASSERT_TRUE(db.ok()) << db.status();
  auto su = PgConnection::Connect((*db)->Conninfo("postgres"));
  ASSERT_THAT(su, IsOk());
  EXPECT_THAT(EnsureDatabase(**su, "x\"; DROP DATABASE postgres; --"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EnsureDatabase(**su, "Upper"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MigrateTest, ServiceRolesAreUnprivilegedAndNamesChecked) {
  constexpr char kRole[] = "bastion_migratetest_svc";
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  ASSERT_THAT(EnsureServiceRole(**su, kRole), IsOk());
  ASSERT_THAT(EnsureServiceRole(**su, kRole), IsOk());  // again
  auto flags = (*su)->Execute({kRoleFlags, {std::string(kRole)}});
  ASSERT_THAT(flags, IsOk());
  ASSERT_EQ(flags->rows(), 1);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(flags->Get(0, c), "f");
  EXPECT_THAT(GrantConnect(**su, db_->name(), kRole), IsOk());
  EXPECT_THAT(EnsureServiceRole(**su, "postgres"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EnsureServiceRole(**su, "bastion_x\"; DROP ROLE y; --_svc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GrantConnect(**su, db_->name(), "postgres"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  MigrationSet bad_role = TestMigrations();
  bad_role.service_role = "postgres";
  EXPECT_THAT(Bootstrap(**su, bad_role, db_->name()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MigrateTest, HistoryTablesAreSeparateAndChecked) {
  ASSERT_THAT(ApplyMigrations(*owner_, TestMigrations()), IsOk());
  MigrationSet other = TestMigrations();
  other.history_table = "bastion_migrations.other_schema_migrations";
  auto none = ListApplied(*owner_, other);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
  for (const char* table :
       {"bastion_test.items", "bastion_migrations.", "x; DROP",
        "bastion_migrations.x; DROP TABLE y", "bastion_migrations.Upper"}) {
    MigrationSet bad = TestMigrations();
    bad.history_table = table;
    EXPECT_THAT(ListApplied(*owner_, bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << table;
    EXPECT_THAT(ApplyMigrations(*owner_, bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << table;
  }
}

}  // namespace
}  // namespace bastion::pg
