// The migrate library against a real PostgreSQL: idempotence, checksums,
// roles.
#include "services/data/migrate/migrate.h"

#include <memory>
#include <vector>

#include "common/pg/pg_connection.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/pg/test_database.h"

namespace bastion::data::migrate {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::bastion::testing::TestDatabase;

constexpr char kRoleFlags[] =
    "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb"
    " FROM pg_roles WHERE rolname = $1";
constexpr char kOwnedBySvc[] =
    "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
    " WHERE r.rolname = 'bastion_data_svc'";
constexpr char kTablesOwner[] =
    "SELECT DISTINCT r.rolname FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_roles r ON r.oid = c.relowner"
    " WHERE n.nspname = 'bastion_data'";

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create({/*migrate=*/false});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto owner = pg::PgConnection::Connect(db_->owner_conninfo());
    ASSERT_THAT(owner, IsOk());
    owner_ = *std::move(owner);
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<pg::PgConnection> owner_;
};

TEST_F(MigrateTest, AppliesAllThenIsANoOp) {
  const std::vector<Migration>& all = EmbeddedMigrations();
  ASSERT_FALSE(all.empty());
  auto first = ApplyMigrations(*owner_, all);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->size(), all.size());
  auto second = ApplyMigrations(*owner_, all);
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->empty());
  auto applied = ListApplied(*owner_);
  ASSERT_THAT(applied, IsOk());
  ASSERT_EQ(applied->size(), all.size());
  EXPECT_EQ((*applied)[0].checksum, Checksum(all[0].sql));
}

TEST_F(MigrateTest, AppliesOnlyWhatIsPending) {
  const std::vector<Migration>& all = EmbeddedMigrations();
  std::vector<Migration> first_only(all.begin(), all.begin() + 1);
  ASSERT_THAT(ApplyMigrations(*owner_, first_only), IsOk());
  auto rest = ApplyMigrations(*owner_, all);
  ASSERT_THAT(rest, IsOk());
  EXPECT_EQ(rest->size(), all.size() - 1);
}

TEST_F(MigrateTest, ChangedAppliedMigrationIsRefused) {
  std::vector<Migration> all = EmbeddedMigrations();
  ASSERT_THAT(ApplyMigrations(*owner_, all), IsOk());
  std::vector<Migration> edited = all;
  const std::string changed = std::string(edited[0].sql) + "\n-- edited\n";
  edited[0].sql = changed.c_str();
  EXPECT_THAT(ApplyMigrations(*owner_, edited),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(MigrateTest, UnknownAppliedVersionIsRefused) {
  const std::vector<Migration>& all = EmbeddedMigrations();
  ASSERT_THAT(ApplyMigrations(*owner_, all), IsOk());
  std::vector<Migration> older(all.begin(), all.end() - 1);
  EXPECT_THAT(ApplyMigrations(*owner_, older),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(MigrateTest, FailingMigrationLeavesNothingBehind) {
  const std::vector<Migration>& all = EmbeddedMigrations();
  std::vector<Migration> broken(all.begin(), all.begin() + 1);
  broken.push_back({2, "broken",
                    "CREATE TABLE bastion_data.half (x int); SELECT 1/0;"});
  EXPECT_THAT(ApplyMigrations(*owner_, broken),
              StatusIs(absl::StatusCode::kInvalidArgument));  // 22012
  auto applied = ListApplied(*owner_);
  ASSERT_THAT(applied, IsOk());
  EXPECT_EQ(applied->size(), 1u);
  auto half = owner_->Execute(
      {"SELECT to_regclass('bastion_data.half') IS NULL", {}});
  ASSERT_THAT(half, IsOk());
  EXPECT_EQ(half->Get(0, 0), "t");
}

TEST_F(MigrateTest, RolesAreUnprivilegedAndServiceOwnsNothing) {
  ASSERT_THAT(ApplyMigrations(*owner_, EmbeddedMigrations()), IsOk());
  auto su = pg::PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  for (const char* role : {kOwnerRole, kServiceRole}) {
    auto flags = (*su)->Execute({kRoleFlags, {std::string(role)}});
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

TEST(EnsureDatabaseTest, RejectsOddNames) {
  // Validation happens before any SQL, so no server is needed... but a
  // connection object is; use the test cluster.
  auto db = TestDatabase::Create({/*migrate=*/false});
  ASSERT_TRUE(db.ok()) << db.status();
  auto su = pg::PgConnection::Connect((*db)->Conninfo("postgres"));
  ASSERT_THAT(su, IsOk());
  EXPECT_THAT(EnsureDatabase(**su, "x\"; DROP DATABASE postgres; --"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EnsureDatabase(**su, "Upper"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MigrateTest, ServiceRolesAreUnprivilegedAndNamesChecked) {
  auto su = pg::PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  ASSERT_THAT(EnsureServiceRole(**su, kAuthnServiceRole), IsOk());
  ASSERT_THAT(EnsureServiceRole(**su, kAuthnServiceRole), IsOk());  // again
  auto flags = (*su)->Execute({kRoleFlags, {std::string(kAuthnServiceRole)}});
  ASSERT_THAT(flags, IsOk());
  ASSERT_EQ(flags->rows(), 1);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(flags->Get(0, c), "f");
  EXPECT_THAT(GrantConnect(**su, db_->name(), kAuthnServiceRole), IsOk());
  EXPECT_THAT(EnsureServiceRole(**su, "postgres"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EnsureServiceRole(**su, "bastion_x\"; DROP ROLE y; --_svc"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(GrantConnect(**su, db_->name(), "postgres"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(MigrateTest, HistoryTablesAreSeparateAndOnlyKnownOnes) {
  ASSERT_THAT(ApplyMigrations(*owner_, EmbeddedMigrations()), IsOk());
  auto other = ListApplied(*owner_, kAuthnHistoryTable);
  ASSERT_THAT(other, IsOk());
  EXPECT_TRUE(other->empty());
  EXPECT_THAT(ListApplied(*owner_, "bastion_data.sessions"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ApplyMigrations(*owner_, EmbeddedMigrations(), "x; DROP"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::data::migrate
