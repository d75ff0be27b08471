// authn's schema proved in the database itself: the migration set is
// idempotent and recorded in authn's own history table; bastion_authn_svc
// reaches only the current principal's keys, cannot delete or move them,
// and finds a key by hash only through bastion_authn.find_api_key; the same
// for schedule grants (bastion_authn.find_schedule_grant), and
// bastion_authn.api_key_live sees only the principal's keys.
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/pg/migrate.h"
#include "common/pg/pg_connection.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/authn/migrations/migrations.h"
#include "tests/pg/test_database.h"

namespace bastion::authn {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

constexpr char kBegin[] = "BEGIN";
constexpr char kRollback[] = "ROLLBACK";
constexpr char kAs[] =
    "SELECT set_config('bastion.tenant_id', $1, true),"
    " set_config('bastion.user_id', $2, true)";
constexpr char kInsert[] =
    "INSERT INTO bastion_authn.api_keys (tenant_id, user_id, key_id, name,"
    " scopes, secret_hash, display_prefix, created_at, expires_at)"
    " VALUES ($1, $2, $3, 'k', ARRAY['agents:read'], sha256($4::bytea),"
    " 'bst_x', now(), now() + interval '1 day')";
constexpr char kCount[] = "SELECT count(*) FROM bastion_authn.api_keys";
constexpr char kFind[] =
    "SELECT key_id FROM bastion_authn.find_api_key(sha256($1::bytea))";
constexpr char kDelete[] = "DELETE FROM bastion_authn.api_keys";
constexpr char kMove[] = "UPDATE bastion_authn.api_keys SET user_id = 'bob'";
constexpr char kSetLookup[] =
    "SELECT set_config('bastion.key_lookup', 'on', false)";
constexpr char kLookupSetting[] =
    "SELECT coalesce(current_setting('bastion.key_lookup', true), '')";

constexpr char kInsertGrant[] =
    "INSERT INTO bastion_authn.schedule_grants (tenant_id, user_id,"
    " grant_id, schedule_id, scopes, roles, credential_kind,"
    " credential_issuer, credential_id, holder_service, created_at)"
    " VALUES ($1, $2, $3, 'sched-1', ARRAY['agents:run'], ARRAY['member'],"
    " 1, 'https://issuer.test', '', 'service:run_executor', now())";
constexpr char kCountGrants[] =
    "SELECT count(*) FROM bastion_authn.schedule_grants";
constexpr char kFindGrant[] =
    "SELECT tenant_id, user_id, holder_service"
    " FROM bastion_authn.find_schedule_grant($1)";
constexpr char kSetGrantLookup[] =
    "SELECT set_config('bastion.schedule_grant_lookup', 'on', false)";
constexpr char kKeyLive[] =
    "SELECT bastion_authn.api_key_live($1, $2, $3, now())";

const char kGrantA[] = "sgr_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

const char kKeyA[] = "key_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const char kKeyB[] = "key_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

class AuthnSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = ::bastion::testing::TestDatabase::Create(AuthnMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto svc = pg::PgConnection::Connect(db_->service_conninfo());
    ASSERT_THAT(svc, IsOk());
    svc_ = *std::move(svc);
    // alice has key A (secret "a"); bob has key B (secret "b").
    for (const auto& [user, key, secret] :
         {std::tuple<const char*, const char*, const char*>{"alice", kKeyA,
                                                            "a"},
          {"bob", kKeyB, "b"}}) {
      ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
      ASSERT_THAT(svc_->Execute({kAs, {"t1", user}}), IsOk());
      ASSERT_THAT(svc_->Execute({kInsert, {"t1", user, key, secret}}), IsOk());
      ASSERT_THAT(svc_->Execute({"COMMIT", {}}), IsOk());
    }
  }

  int64_t Count(pg::PgConnection& conn, const char* sql = kCount) {
    auto r = conn.Execute({sql, {}});
    EXPECT_THAT(r, IsOk());
    return r.ok() ? std::stoll(std::string(r->Get(0, 0))) : -1;
  }

  std::unique_ptr<::bastion::testing::TestDatabase> db_;
  std::unique_ptr<pg::PgConnection> svc_;
};

TEST_F(AuthnSchemaTest, MigrationsAreIdempotentAndRecordedApart) {
  auto owner = pg::PgConnection::Connect(db_->owner_conninfo());
  ASSERT_THAT(owner, IsOk());
  auto again = pg::ApplyMigrations(**owner, AuthnMigrations());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->empty());
  auto authn = pg::ListApplied(**owner, AuthnMigrations());
  ASSERT_THAT(authn, IsOk());
  EXPECT_EQ(authn->size(), AuthnMigrations().migrations.size());
  // Only authn's own history table exists in this database.
  auto tables = (*owner)->Execute(
      {"SELECT string_agg(tablename, ',') FROM pg_tables"
       " WHERE schemaname = 'bastion_migrations'",
       {}});
  ASSERT_THAT(tables, IsOk());
  EXPECT_EQ(tables->Get(0, 0), "authn_schema_migrations");
  EXPECT_EQ(AuthnMigrations().history_table,
            "bastion_migrations.authn_schema_migrations");
}

TEST_F(AuthnSchemaTest, ServiceRoleSeesOnlyThePrincipalsKeys) {
  EXPECT_EQ(Count(*svc_), 0);  // no principal: nothing
  ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kAs, {"t1", "alice"}}), IsOk());
  EXPECT_EQ(Count(*svc_), 1);
  // alice cannot write a row for bob.
  EXPECT_THAT(svc_->Execute({kInsert, {"t1", "bob", kKeyB, "c"}}),
              StatusIs(absl::StatusCode::kInternal));
  ASSERT_THAT(svc_->Execute({kRollback, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kAs, {"t2", "alice"}}), IsOk());
  EXPECT_EQ(Count(*svc_), 0);
  ASSERT_THAT(svc_->Execute({kRollback, {}}), IsOk());
}

TEST_F(AuthnSchemaTest, ServiceRoleCannotDeleteOrMoveKeys) {
  ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kAs, {"t1", "alice"}}), IsOk());
  EXPECT_THAT(svc_->Execute({kDelete, {}}),
              StatusIs(absl::StatusCode::kInternal));
  ASSERT_THAT(svc_->Execute({kRollback, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kAs, {"t1", "alice"}}), IsOk());
  EXPECT_THAT(svc_->Execute({kMove, {}}),
              StatusIs(absl::StatusCode::kInternal));
  ASSERT_THAT(svc_->Execute({kRollback, {}}), IsOk());
}

TEST_F(AuthnSchemaTest, LookupByHashReturnsOnlyTheMatchingRow) {
  auto found = svc_->Execute({kFind, {"a"}});
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->rows(), 1);
  EXPECT_EQ(found->Get(0, 0), kKeyA);
  auto none = svc_->Execute({kFind, {"nope"}});
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->rows(), 0);
  // The lookup's switch does not leak out of the function, and setting it
  // by hand does not open the table to the service role.
  auto setting = svc_->Execute({kLookupSetting, {}});
  ASSERT_THAT(setting, IsOk());
  EXPECT_EQ(setting->Get(0, 0), "");
  ASSERT_THAT(svc_->Execute({kSetLookup, {}}), IsOk());
  EXPECT_EQ(Count(*svc_), 0);
}

class ScheduleGrantSchemaTest : public AuthnSchemaTest {
 protected:
  void SetUp() override {
    AuthnSchemaTest::SetUp();
    // alice has grant A.
    ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
    ASSERT_THAT(svc_->Execute({kAs, {"t1", "alice"}}), IsOk());
    ASSERT_THAT(svc_->Execute({kInsertGrant, {"t1", "alice", kGrantA}}),
                IsOk());
    ASSERT_THAT(svc_->Execute({"COMMIT", {}}), IsOk());
  }

  // Runs `sql` as (`tenant`, `user`) in a transaction rolled back after.
  absl::Status RunAs(const char* tenant, const char* user, const char* sql,
                     std::vector<pg::Param> params = {}) {
    EXPECT_THAT(svc_->Execute({kBegin, {}}), IsOk());
    EXPECT_THAT(svc_->Execute({kAs, {tenant, user}}), IsOk());
    absl::Status status = svc_->Execute({sql, std::move(params)}).status();
    EXPECT_THAT(svc_->Execute({kRollback, {}}), IsOk());
    return status;
  }
  int64_t CountAs(const char* tenant, const char* user) {
    EXPECT_THAT(svc_->Execute({kBegin, {}}), IsOk());
    EXPECT_THAT(svc_->Execute({kAs, {tenant, user}}), IsOk());
    const int64_t n = Count(*svc_, kCountGrants);
    EXPECT_THAT(svc_->Execute({kRollback, {}}), IsOk());
    return n;
  }
};

TEST_F(ScheduleGrantSchemaTest, ServiceRoleSeesOnlyThePrincipalsGrants) {
  EXPECT_EQ(Count(*svc_, kCountGrants), 0);  // no principal: nothing
  EXPECT_EQ(CountAs("t1", "alice"), 1);
  EXPECT_EQ(CountAs("t2", "alice"), 0);
  EXPECT_EQ(CountAs("t1", "bob"), 0);
  // alice cannot write a grant for bob, nor one in another tenant.
  EXPECT_THAT(RunAs("t1", "alice", kInsertGrant,
                    {"t1", "bob", "sgr_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(RunAs("t1", "alice", kInsertGrant,
                    {"t2", "alice", "sgr_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(ScheduleGrantSchemaTest, ServiceRoleCannotDeleteMoveOrWidenGrants) {
  EXPECT_THAT(
      RunAs("t1", "alice", "DELETE FROM bastion_authn.schedule_grants"),
      StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(RunAs("t1", "alice",
                    "UPDATE bastion_authn.schedule_grants SET user_id = 'bob'"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(
      RunAs("t1", "alice",
            "UPDATE bastion_authn.schedule_grants"
            " SET scopes = ARRAY['agent_os:admin']"),
      StatusIs(absl::StatusCode::kInternal));
  // Only its end may change.
  EXPECT_THAT(RunAs("t1", "alice",
                    "UPDATE bastion_authn.schedule_grants"
                    " SET ended_at = now(), end_reason = 'ended'"),
              IsOk());
}

TEST_F(ScheduleGrantSchemaTest, LookupByIdReturnsOnlyThatRow) {
  auto found = svc_->Execute({kFindGrant, {kGrantA}});
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->rows(), 1);
  EXPECT_EQ(found->Get(0, "tenant_id"), "t1");
  EXPECT_EQ(found->Get(0, "user_id"), "alice");
  EXPECT_EQ(found->Get(0, "holder_service"), "service:run_executor");
  auto none = svc_->Execute({kFindGrant, {"sgr_"}});
  ASSERT_THAT(none, IsOk());
  EXPECT_EQ(none->rows(), 0);
  // Setting the lookup's switch by hand opens nothing to the service role,
  // nor to the owner.
  ASSERT_THAT(svc_->Execute({kSetGrantLookup, {}}), IsOk());
  EXPECT_EQ(Count(*svc_, kCountGrants), 0);
  auto owner = pg::PgConnection::Connect(db_->owner_conninfo());
  ASSERT_THAT(owner, IsOk());
  EXPECT_EQ(Count(**owner, kCountGrants), 0);
}

TEST_F(AuthnSchemaTest, KeyLivenessSeesOnlyThePrincipalsKeys) {
  ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kAs, {"t1", "alice"}}), IsOk());
  auto own = svc_->Execute({kKeyLive, {"t1", "alice", kKeyA}});
  ASSERT_THAT(own, IsOk());
  EXPECT_EQ(own->Get(0, 0), "t");
  ASSERT_THAT(svc_->Execute({kRollback, {}}), IsOk());
  // bob's transaction cannot learn that alice's key lives.
  ASSERT_THAT(svc_->Execute({kBegin, {}}), IsOk());
  ASSERT_THAT(svc_->Execute({kAs, {"t1", "bob"}}), IsOk());
  auto other = svc_->Execute({kKeyLive, {"t1", "alice", kKeyA}});
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->Get(0, 0), "f");
  ASSERT_THAT(svc_->Execute({kRollback, {}}), IsOk());
}

TEST_F(AuthnSchemaTest, OwnerIsBoundByRowLevelSecurityOutsideTheLookup) {
  auto owner = pg::PgConnection::Connect(db_->owner_conninfo());
  ASSERT_THAT(owner, IsOk());
  EXPECT_EQ(Count(**owner), 0);
}

}  // namespace
}  // namespace bastion::authn
