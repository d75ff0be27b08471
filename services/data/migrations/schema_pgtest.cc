// The migrated schema's isolation, proved in the database itself: row-level
// security for every principal level, the service role's limits, and the
// append-only, hash-chained tables. Runs raw SQL as the service role, i.e.
// what any bug in the data service could send.
#include <memory>
#include <string>
#include <vector>

#include "common/pg/pg_connection.h"
#include "common/pg/pg_pool.h"
#include "common/pg/principal_transaction.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/migrations/migrations.h"
#include "tests/pg/test_database.h"

namespace bastion::data {
namespace {

using ::bastion::pg::AdminLevel;
using ::bastion::pg::PgConnection;
using ::bastion::pg::PgPool;
using ::bastion::pg::PgPoolOptions;
using ::bastion::pg::PrincipalScope;
using ::bastion::pg::RunAsPrincipal;
using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::bastion::testing::TestDatabase;

constexpr char kInsertSession[] =
    "INSERT INTO bastion_data.sessions"
    " (tenant_id, user_id, session_id, component_type, component_id)"
    " VALUES ($1, $2, $3, 'agent', 'a1')";
constexpr char kCountSessions[] =
    "SELECT count(*) FROM bastion_data.sessions";
constexpr char kSessionIds[] =
    "SELECT string_agg(session_id, ',' ORDER BY session_id)"
    " FROM bastion_data.sessions";
constexpr char kUpdateAllSessions[] =
    "UPDATE bastion_data.sessions SET name = 'x'";
constexpr char kDeleteAllSessions[] = "DELETE FROM bastion_data.sessions";
constexpr char kMoveSession[] =
    "UPDATE bastion_data.sessions SET user_id = $1 WHERE session_id = $2";
constexpr char kInsertSpan[] =
    "INSERT INTO bastion_data.spans (tenant_id, user_id, trace_id, span_id,"
    " name, start_time, seq, prev_hash, hash)"
    " VALUES ($1, $2, $3, $4, 'op', now(), 0, '', '')";
constexpr char kUpdateSpans[] = "UPDATE bastion_data.spans SET name = 'forged'";
constexpr char kDeleteSpans[] = "DELETE FROM bastion_data.spans";
constexpr char kInsertAudit[] =
    "INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"
    " action, resource) VALUES ($1, $2, 'none', 'test', 'sessions')";
constexpr char kUpdateAudit[] =
    "UPDATE bastion_data.audit_events SET action = 'forged'";
constexpr char kDeleteAudit[] = "DELETE FROM bastion_data.audit_events";
constexpr char kChain[] =
    "SELECT seq, prev_hash = coalesce(lag(hash) OVER (ORDER BY seq),"
    " decode(repeat('00', 32), 'hex'))"
    " AND hash = sha256(prev_hash || bastion_data.span_canonical(s))"
    " FROM bastion_data.spans s WHERE trace_id = $1 ORDER BY seq";
constexpr char kReadMigrations[] =
    "SELECT count(*) FROM bastion_migrations.schema_migrations";

const PrincipalScope kAlice{"t1", "alice", AdminLevel::kNone};
const PrincipalScope kBob{"t1", "bob", AdminLevel::kNone};
const PrincipalScope kCarol{"t2", "carol", AdminLevel::kNone};
const PrincipalScope kT1Admin{"t1", "admin1", AdminLevel::kTenant};
const PrincipalScope kT2Admin{"t2", "admin2", AdminLevel::kTenant};
const PrincipalScope kPlatform{"t0", "root", AdminLevel::kPlatform};

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create(DataMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    PgPoolOptions options;
    options.conninfo = db_->service_conninfo();
    options.max_size = 1;  // One shared connection: leaks would show.
    svc_ = std::make_unique<PgPool>(options);
    for (auto [scope, id] : std::vector<std::pair<PrincipalScope, std::string>>{
             {kAlice, "s-alice"}, {kBob, "s-bob"}, {kCarol, "s-carol"}}) {
      ASSERT_THAT(RunAsPrincipal(*svc_, scope,
                                 {{kInsertSession,
                                   {scope.tenant_id, scope.user_id, id}}}),
                  IsOk());
    }
  }

  std::string Visible(const PrincipalScope& scope) {
    auto r = RunAsPrincipal(*svc_, scope, {{kSessionIds, {}}});
    EXPECT_THAT(r, IsOk());
    return r.ok() ? std::string((*r)[0].Get(0, 0)) : "<error>";
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> svc_;
};

TEST_F(SchemaTest, EachLevelSeesExactlyItsRows) {
  EXPECT_EQ(Visible(kAlice), "s-alice");
  EXPECT_EQ(Visible(kBob), "s-bob");
  EXPECT_EQ(Visible(kCarol), "s-carol");
  EXPECT_EQ(Visible(kT1Admin), "s-alice,s-bob");
  EXPECT_EQ(Visible(kT2Admin), "s-carol");
  EXPECT_EQ(Visible(kPlatform), "s-alice,s-bob,s-carol");
}

TEST_F(SchemaTest, ServiceRoleWithoutSettingsSeesNothing) {
  auto conn = PgConnection::Connect(db_->service_conninfo());
  ASSERT_THAT(conn, IsOk());
  auto count = (*conn)->Execute({kCountSessions, {}});
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(count->Get(0, 0), "0");
  EXPECT_THAT((*conn)->Execute({kInsertSession, {"t1", "alice", "s-raw"}}),
              StatusIs(absl::StatusCode::kInternal));  // WITH CHECK fails.
  // An unknown admin level is no level at all.
  auto odd = RunAsPrincipal(*svc_, {"t1", "alice", AdminLevel::kNone},
                            {{"SELECT set_config('bastion.admin_level',"
                              " 'PLATFORM', true)", {}},
                             {kCountSessions, {}}});
  ASSERT_THAT(odd, IsOk());
  EXPECT_EQ((*odd)[1].Get(0, 0), "0");
}

TEST_F(SchemaTest, OwnerIsBoundByRowSecurityToo) {
  auto conn = PgConnection::Connect(db_->owner_conninfo());
  ASSERT_THAT(conn, IsOk());
  auto count = (*conn)->Execute({kCountSessions, {}});
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(count->Get(0, 0), "0");
}

TEST_F(SchemaTest, WritesCannotLeaveThePrincipal) {
  // Insert for another user / tenant.
  EXPECT_THAT(RunAsPrincipal(*svc_, kAlice,
                             {{kInsertSession, {"t1", "bob", "s-forged"}}}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(RunAsPrincipal(*svc_, kT1Admin,
                             {{kInsertSession, {"t2", "carol", "s-forged"}}}),
              StatusIs(absl::StatusCode::kInternal));
  // Give one's row away.
  EXPECT_THAT(RunAsPrincipal(*svc_, kAlice, {{kMoveSession, {"bob", "s-alice"}}}),
              StatusIs(absl::StatusCode::kInternal));
  // Blanket update/delete touch only one's own rows.
  auto changed = RunAsPrincipal(
      *svc_, kAlice, {{kUpdateAllSessions, {}}, {kDeleteAllSessions, {}}});
  ASSERT_THAT(changed, IsOk());
  EXPECT_EQ((*changed)[0].affected_rows(), 1);
  EXPECT_EQ((*changed)[1].affected_rows(), 1);
  EXPECT_EQ(Visible(kPlatform), "s-bob,s-carol");
}

TEST_F(SchemaTest, TakenIdIsAlreadyExistsAcrossUsersOnly) {
  EXPECT_THAT(RunAsPrincipal(*svc_, kBob,
                             {{kInsertSession, {"t1", "bob", "s-alice"}}}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Another tenant's ids are its own business.
  EXPECT_THAT(RunAsPrincipal(*svc_, kCarol,
                             {{kInsertSession, {"t2", "carol", "s-alice"}}}),
              IsOk());
}

TEST_F(SchemaTest, SpansAndAuditAreAppendOnlyForTheServiceRole) {
  ASSERT_THAT(RunAsPrincipal(*svc_, kAlice,
                             {{kInsertSpan, {"t1", "alice", "tr", "s1"}},
                              {kInsertAudit, {"t1", "alice"}}}),
              IsOk());
  for (const char* sql :
       {kUpdateSpans, kDeleteSpans, kUpdateAudit, kDeleteAudit}) {
    EXPECT_THAT(RunAsPrincipal(*svc_, kAlice, {{sql, {}}}),
                StatusIs(absl::StatusCode::kInternal))
        << sql;
    EXPECT_THAT(RunAsPrincipal(*svc_, kPlatform, {{sql, {}}}),
                StatusIs(absl::StatusCode::kInternal))
        << sql;
  }
  auto conn = PgConnection::Connect(db_->service_conninfo());
  ASSERT_THAT(conn, IsOk());
  EXPECT_THAT((*conn)->Execute({"TRUNCATE bastion_data.spans", {}}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(SchemaTest, TriggerRefusesChangesEvenForTheOwnerAndSuperuser) {
  ASSERT_THAT(RunAsPrincipal(*svc_, kAlice,
                             {{kInsertSpan, {"t1", "alice", "tr", "s1"}},
                              {kInsertAudit, {"t1", "alice"}}}),
              IsOk());
  PgPoolOptions options;
  options.conninfo = db_->owner_conninfo();
  PgPool owner(options);
  for (const char* sql :
       {kUpdateSpans, kDeleteSpans, kUpdateAudit, kDeleteAudit}) {
    EXPECT_THAT(RunAsPrincipal(owner, kPlatform, {{sql, {}}}),
                StatusIs(absl::StatusCode::kInternal))
        << sql;
  }
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  EXPECT_THAT((*su)->Execute({kUpdateSpans, {}}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT((*su)->Execute({kDeleteAudit, {}}),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(SchemaTest, SpansAreHashChainedPerTrace) {
  ASSERT_THAT(RunAsPrincipal(*svc_, kAlice,
                             {{kInsertSpan, {"t1", "alice", "tr", "a"}},
                              {kInsertSpan, {"t1", "alice", "tr", "b"}},
                              {kInsertSpan, {"t1", "alice", "other", "x"}}}),
              IsOk());
  ASSERT_THAT(RunAsPrincipal(*svc_, kAlice,
                             {{kInsertSpan, {"t1", "alice", "tr", "c"}}}),
              IsOk());
  auto chain = RunAsPrincipal(*svc_, kAlice, {{kChain, {"tr"}}});
  ASSERT_THAT(chain, IsOk());
  ASSERT_EQ((*chain)[0].rows(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*chain)[0].Get(i, 0), std::to_string(i + 1));
    EXPECT_EQ((*chain)[0].Get(i, 1), "t");
  }
  // Tampering (only possible for a superuser who disables the trigger) is
  // detected.
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  ASSERT_THAT((*su)->ExecuteScript(
                  "ALTER TABLE bastion_data.spans DISABLE TRIGGER append_only;"
                  "UPDATE bastion_data.spans SET name = 'forged'"
                  " WHERE span_id = 'b';"
                  "ALTER TABLE bastion_data.spans ENABLE TRIGGER append_only"),
              IsOk());
  chain = RunAsPrincipal(*svc_, kAlice, {{kChain, {"tr"}}});
  ASSERT_THAT(chain, IsOk());
  EXPECT_EQ((*chain)[0].Get(0, 1), "t");
  EXPECT_EQ((*chain)[0].Get(1, 1), "f");
}

TEST_F(SchemaTest, AnotherUserCannotAppendToATrace) {
  ASSERT_THAT(RunAsPrincipal(*svc_, kAlice,
                             {{kInsertSpan, {"t1", "alice", "tr", "a"}}}),
              IsOk());
  // Bob cannot see it and collides; a tenant admin sees it and is refused.
  EXPECT_THAT(RunAsPrincipal(*svc_, kBob,
                             {{kInsertSpan, {"t1", "bob", "tr", "b"}}}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(RunAsPrincipal(*svc_, kT1Admin,
                             {{kInsertSpan, {"t1", "admin1", "tr", "c"}}}),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(SchemaTest, ServiceRoleCannotReachMigrationsOrDdl) {
  auto conn = PgConnection::Connect(db_->service_conninfo());
  ASSERT_THAT(conn, IsOk());
  EXPECT_THAT((*conn)->Execute({kReadMigrations, {}}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT((*conn)->ExecuteScript(
                  "ALTER TABLE bastion_data.sessions DISABLE ROW LEVEL SECURITY"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT((*conn)->ExecuteScript("CREATE TABLE bastion_data.x (i int)"),
              StatusIs(absl::StatusCode::kInternal));
}

TEST_F(SchemaTest, OwnerOwnsEveryTableAndTheServiceRoleNothing) {
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  auto owned = (*su)->Execute(
      {"SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
       " WHERE r.rolname = 'bastion_data_svc'",
       {}});
  ASSERT_THAT(owned, IsOk());
  EXPECT_EQ(owned->Get(0, 0), "0");
  auto owners = (*su)->Execute(
      {"SELECT DISTINCT r.rolname FROM pg_class c"
       " JOIN pg_namespace n ON n.oid = c.relnamespace"
       " JOIN pg_roles r ON r.oid = c.relowner"
       " WHERE n.nspname = 'bastion_data'",
       {}});
  ASSERT_THAT(owners, IsOk());
  ASSERT_EQ(owners->rows(), 1);
  EXPECT_EQ(owners->Get(0, 0), "bastion_owner");
  auto svc = (*su)->Execute(
      {"SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb"
       " FROM pg_roles WHERE rolname = 'bastion_data_svc'",
       {}});
  ASSERT_THAT(svc, IsOk());
  ASSERT_EQ(svc->rows(), 1);
  EXPECT_EQ(svc->Get(0, 0), "f");
}

TEST_F(SchemaTest, EveryTableForcesRowSecurityWithAPolicy) {
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  auto r = (*su)->Execute(
      {"SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
       " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid"
       "   AND p.polqual IS NOT NULL AND p.polwithcheck IS NOT NULL)"
       " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
       " WHERE n.nspname = 'bastion_data' AND c.relkind = 'r'"
       " ORDER BY 1",
       {}});
  ASSERT_THAT(r, IsOk());
  EXPECT_GE(r->rows(), 8);
  for (int i = 0; i < r->rows(); ++i) {
    EXPECT_EQ(r->Get(i, 1), "t") << r->Get(i, 0);
    EXPECT_EQ(r->Get(i, 2), "t") << r->Get(i, 0);
    EXPECT_EQ(r->Get(i, 3), "1") << r->Get(i, 0);
  }
}

TEST_F(SchemaTest, EveryRowHasOwnersAndEveryIndexLeadsWithThem) {
  auto su = PgConnection::Connect(db_->superuser_conninfo());
  ASSERT_THAT(su, IsOk());
  auto missing = (*su)->Execute(
      {"SELECT string_agg(c.relname || '.' || col, ',')"
       " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
       " CROSS JOIN (VALUES ('tenant_id'), ('user_id')) AS v(col)"
       " WHERE n.nspname = 'bastion_data' AND c.relkind = 'r'"
       " AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid"
       "   AND a.attname = v.col AND a.attnotnull)",
       {}});
  ASSERT_THAT(missing, IsOk());
  EXPECT_TRUE(missing->IsNull(0, 0)) << missing->Get(0, 0);
  // Unique keys lead with tenant_id (ids are unique per tenant); every
  // other index with (tenant_id, user_id). One exception, by name:
  // schedules_due_at (migration 0004) serves the scheduler's claim, a
  // platform admin's scan across every tenant ordered by next_run_at, which
  // no owner-led index can serve.
  auto bad = (*su)->Execute(
      {"SELECT string_agg(i.indexrelid::regclass::text, ',')"
       " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
       " JOIN pg_namespace n ON n.oid = c.relnamespace"
       " WHERE n.nspname = 'bastion_data'"
       " AND i.indexrelid IS DISTINCT FROM"
       "     to_regclass('bastion_data.schedules_due_at')"
       " AND ((SELECT attname FROM pg_attribute WHERE attrelid = i.indrelid"
       "       AND attnum = i.indkey[0]) <> 'tenant_id'"
       "   OR (NOT i.indisunique AND (SELECT attname FROM pg_attribute"
       "       WHERE attrelid = i.indrelid AND attnum = i.indkey[1])"
       "       <> 'user_id'))",
       {}});
  ASSERT_THAT(bad, IsOk());
  EXPECT_TRUE(bad->IsNull(0, 0)) << bad->Get(0, 0);
  // The exception is that claim index and nothing wider.
  auto claim = (*su)->Execute(
      {"SELECT pg_get_indexdef('bastion_data.schedules_due_at'::regclass)",
       {}});
  ASSERT_THAT(claim, IsOk());
  EXPECT_EQ(claim->Get(0, 0),
            "CREATE INDEX schedules_due_at ON bastion_data.schedules"
            " USING btree (next_run_at) WHERE enabled");
}

}  // namespace
}  // namespace bastion::data
