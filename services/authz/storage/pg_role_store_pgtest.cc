// PgRoleStore against a real PostgreSQL with authz's schema: versions bump
// once per change, tenants never see or change each other's roles (in the
// store and again by row-level security), every change leaves an audit row,
// and the audit trail is append-only in the database itself.
#include <postgresql/libpq-fe.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/pg/pg_connection.h"
#include "common/pg/pg_pool.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authz/migrations/migrations.h"
#include "services/authz/storage/pg_role_store.h"
#include "tests/pg/test_database.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

common::v1::Principal Actor(const std::string& tenant,
                            const std::string& subject) {
  common::v1::Principal principal;
  principal.set_tenant_id(tenant);
  principal.set_subject(subject);
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  principal.set_token_id("jti-" + subject);
  return principal;
}

Role MakeRole(const std::string& name, std::vector<std::string> scopes,
              std::vector<std::string> tools = {}) {
  return Role{name, std::move(scopes), std::move(tools), "about " + name};
}

// Outcome of one raw statement: SQLSTATE ("" on success) and the message.
struct RawOutcome {
  std::string sqlstate;
  std::string message;
  std::string value;  // first column of the first row, if any
};

RawOutcome Raw(pg::PgConnection& conn, const char* sql) {
  PGresult* result = PQexec(conn.raw(), sql);
  RawOutcome outcome;
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    outcome.sqlstate = state != nullptr ? state : "?????";
    outcome.message = PQresultErrorMessage(result);
  } else if (PQntuples(result) > 0 && PQnfields(result) > 0) {
    outcome.value = PQgetvalue(result, 0, 0);
  }
  PQclear(result);
  return outcome;
}

class PgRoleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::TestDatabase>> db =
        testing::TestDatabase::Create(AuthzMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pg::PgPoolOptions options;
    options.conninfo = db_->service_conninfo();
    pool_ = std::make_unique<pg::PgPool>(options);
    store_ = std::make_unique<PgRoleStore>(pool_.get());
  }

  std::unique_ptr<pg::PgConnection> Connect(const std::string& conninfo) {
    auto conn = pg::PgConnection::Connect(conninfo);
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() ? *std::move(conn) : nullptr;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgRoleStore> store_;
};

TEST(PgTextArrayTest, QuotesAndEscapesEveryElement) {
  EXPECT_EQ(PgTextArray({}), "{}");
  EXPECT_EQ(PgTextArray({"agents:read", "a\"b", "c\\d"}),
            R"({"agents:read","a\"b","c\\d"})");
}

TEST_F(PgRoleStoreTest, ATenantThatChangedNothingIsAtVersionZero) {
  EXPECT_EQ(store_->Version(Actor("t1", "alice")).value(), 0);
  absl::StatusOr<StoredPolicy> policy = store_->Load(Actor("t1", "alice"));
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version, 0);
  EXPECT_TRUE(policy->roles.empty());
  EXPECT_TRUE(policy->tool_policy.requires_confirmation.empty());
}

TEST_F(PgRoleStoreTest, EachChangeBumpsTheVersionOnce) {
  const common::v1::Principal alice = Actor("t1", "alice");
  EXPECT_EQ(store_->PutRole(alice, MakeRole("reader", {"agents:read"})).value(),
            1);
  EXPECT_EQ(
      store_->PutRole(alice, MakeRole("runner", {"agents:run"}, {"*"})).value(),
      2);
  EXPECT_EQ(store_
                ->PutRole(alice,
                          MakeRole("reader", {"agents:read", "teams:a-1:read"}))
                .value(),
            3);
  EXPECT_EQ(store_->Version(alice).value(), 3);

  absl::StatusOr<StoredPolicy> policy = store_->Load(alice);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version, 3);
  ASSERT_EQ(policy->roles.size(), 2u);
  EXPECT_EQ(policy->roles[0].role.name, "reader");
  EXPECT_THAT(policy->roles[0].role.scopes,
              ElementsAre("agents:read", "teams:a-1:read"));
  EXPECT_EQ(policy->roles[0].role.description, "about reader");
  EXPECT_EQ(policy->roles[0].version, 3);
  EXPECT_EQ(policy->roles[1].role.name, "runner");
  EXPECT_THAT(policy->roles[1].role.allowed_tools, ElementsAre("*"));
  EXPECT_EQ(policy->roles[1].version, 2);

  EXPECT_EQ(store_->DeleteRole(alice, "runner").value(), 4);
  EXPECT_THAT(store_->DeleteRole(alice, "runner"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->Version(alice).value(), 4);  // A miss changes nothing.

  ToolPolicy tools{{"shell", "http.get"}, {"*"}};
  EXPECT_EQ(store_->PutToolPolicy(alice, tools).value(), 5);
  policy = store_->Load(alice);
  ASSERT_THAT(policy, IsOk());
  EXPECT_EQ(policy->version, 5);
  ASSERT_EQ(policy->roles.size(), 1u);
  EXPECT_THAT(policy->tool_policy.requires_confirmation,
              ElementsAre("shell", "http.get"));
  EXPECT_THAT(policy->tool_policy.requires_approval, ElementsAre("*"));
}

TEST_F(PgRoleStoreTest, TenantsNeitherSeeNorChangeEachOthersRoles) {
  const common::v1::Principal t1 = Actor("t1", "alice");
  const common::v1::Principal t2 = Actor("t2", "mallory");
  ASSERT_THAT(store_->PutRole(t1, MakeRole("shared", {"agents:read"})), IsOk());

  EXPECT_EQ(store_->Version(t2).value(), 0);
  EXPECT_TRUE(store_->Load(t2).value().roles.empty());
  EXPECT_THAT(store_->DeleteRole(t2, "shared"),
              StatusIs(absl::StatusCode::kNotFound));
  // The same name in T2 is T2's own role.
  EXPECT_EQ(store_->PutRole(t2, MakeRole("shared", {"sessions:read"})).value(),
            1);

  absl::StatusOr<StoredPolicy> mine = store_->Load(t1);
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(mine->version, 1);
  ASSERT_EQ(mine->roles.size(), 1u);
  EXPECT_THAT(mine->roles[0].role.scopes, ElementsAre("agents:read"));
  EXPECT_THAT(store_->Load(t2).value().roles[0].role.scopes,
              ElementsAre("sessions:read"));
}

TEST_F(PgRoleStoreTest, RowLevelSecurityConfinesTheServiceRoleToItsTenant) {
  ASSERT_THAT(store_->PutRole(Actor("t1", "alice"),
                              MakeRole("reader", {"agents:read"})),
              IsOk());
  std::unique_ptr<pg::PgConnection> conn =
      Connect(db_->service_conninfo());
  ASSERT_NE(conn, nullptr);
  // No tenant set: nothing is visible.
  EXPECT_EQ(Raw(*conn, "SELECT count(*) FROM bastion_authz.roles").value, "0");
  ASSERT_EQ(Raw(*conn, "SELECT set_config('bastion.tenant_id', 't2', false)")
                .sqlstate,
            "");
  EXPECT_EQ(Raw(*conn, "SELECT count(*) FROM bastion_authz.roles").value, "0");
  EXPECT_EQ(Raw(*conn, "SELECT count(*) FROM bastion_authz.role_audit").value,
            "0");
  // Writing into T1 while acting as T2 violates the policy.
  EXPECT_EQ(Raw(*conn,
                "INSERT INTO bastion_authz.role_audit (tenant_id, "
                "actor_subject, actor_credential, action, policy_version, "
                "details) VALUES ('t1', 'mallory', 'jwt', 'put_role', 1, "
                "'{}')")
                .sqlstate,
            "42501");
  ASSERT_EQ(Raw(*conn, "SELECT set_config('bastion.tenant_id', 't1', false)")
                .sqlstate,
            "");
  EXPECT_EQ(Raw(*conn, "SELECT count(*) FROM bastion_authz.roles").value, "1");
}

TEST_F(PgRoleStoreTest, EveryChangeIsAuditedWithWhoWhenAndWhat) {
  const common::v1::Principal alice = Actor("t1", "alice");
  ASSERT_THAT(store_->PutRole(alice, MakeRole("reader", {"agents:read"})),
              IsOk());
  ASSERT_THAT(store_->DeleteRole(alice, "reader"), IsOk());
  ASSERT_THAT(store_->PutToolPolicy(alice, ToolPolicy{{"shell"}, {}}), IsOk());
  ASSERT_THAT(store_->PutRole(Actor("t2", "bob"), MakeRole("x", {})), IsOk());
  // A refused delete leaves no row.
  ASSERT_THAT(store_->DeleteRole(alice, "reader"),
              StatusIs(absl::StatusCode::kNotFound));

  std::unique_ptr<pg::PgConnection> admin = Connect(db_->superuser_conninfo());
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(
      Raw(*admin,
          "SELECT string_agg(concat_ws('|', actor_subject, actor_credential,"
          " actor_token_id, action, role_name, policy_version,"
          " details::text, occurred_at IS NOT NULL), ';' ORDER BY seq)"
          " FROM bastion_authz.role_audit WHERE tenant_id = 't1'")
          .value,
      "alice|jwt|jti-alice|put_role|reader|1|{\"scopes\": [\"agents:read\"], "
      "\"description\": \"about reader\", \"allowed_tools\": []}|t;"
      "alice|jwt|jti-alice|delete_role|reader|2|{}|t;"
      "alice|jwt|jti-alice|put_tool_policy||3|{\"requires_approval\": [], "
      "\"requires_confirmation\": [\"shell\"]}|t");
  EXPECT_EQ(Raw(*admin, "SELECT count(*) FROM bastion_authz.role_audit").value,
            "4");
}

TEST_F(PgRoleStoreTest, TheAuditTrailIsAppendOnlyForEveryone) {
  ASSERT_THAT(store_->PutRole(Actor("t1", "alice"), MakeRole("r", {})), IsOk());
  // The service role was never granted UPDATE or DELETE.
  std::unique_ptr<pg::PgConnection> service =
      Connect(db_->service_conninfo());
  ASSERT_NE(service, nullptr);
  Raw(*service, "SELECT set_config('bastion.tenant_id', 't1', false)");
  EXPECT_EQ(Raw(*service, "UPDATE bastion_authz.role_audit SET role_name = 'x'")
                .sqlstate,
            "42501");
  EXPECT_EQ(Raw(*service, "DELETE FROM bastion_authz.role_audit").sqlstate,
            "42501");

  // The owner and even a superuser are refused by the triggers.
  std::unique_ptr<pg::PgConnection> owner = Connect(db_->owner_conninfo());
  ASSERT_NE(owner, nullptr);
  Raw(*owner, "SELECT set_config('bastion.tenant_id', 't1', false)");
  RawOutcome update =
      Raw(*owner, "UPDATE bastion_authz.role_audit SET role_name = 'x'");
  EXPECT_EQ(update.sqlstate, "42501");
  EXPECT_THAT(update.message, HasSubstr("append-only"));

  std::unique_ptr<pg::PgConnection> admin = Connect(db_->superuser_conninfo());
  ASSERT_NE(admin, nullptr);
  for (const char* sql : {"UPDATE bastion_authz.role_audit SET role_name = 'x'",
                          "DELETE FROM bastion_authz.role_audit",
                          "TRUNCATE bastion_authz.role_audit"}) {
    RawOutcome outcome = Raw(*admin, sql);
    EXPECT_EQ(outcome.sqlstate, "42501") << sql;
    EXPECT_THAT(outcome.message, HasSubstr("append-only")) << sql;
  }
  EXPECT_EQ(Raw(*admin, "SELECT role_name FROM bastion_authz.role_audit").value,
            "r");
}

TEST_F(PgRoleStoreTest,
       EveryTableForcesRowLevelSecurityAndTheServiceOwnsNothing) {
  std::unique_ptr<pg::PgConnection> admin = Connect(db_->superuser_conninfo());
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(Raw(*admin,
                "SELECT string_agg(c.relname || ':' || c.relrowsecurity || "
                "c.relforcerowsecurity || ':' || r.rolname, ',' ORDER BY "
                "c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                "c.relnamespace JOIN pg_roles r ON r.oid = c.relowner WHERE "
                "n.nspname = 'bastion_authz' AND c.relkind = 'r'")
                .value,
            "role_audit:truetrue:bastion_owner,roles:truetrue:bastion_owner,"
            "tenant_policy:truetrue:bastion_owner");
  EXPECT_EQ(Raw(*admin,
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE "
                "rolname = 'bastion_authz_svc'")
                .value,
            "f");
  EXPECT_EQ(Raw(*admin,
                "SELECT string_agg(privilege_type, ',' ORDER BY "
                "privilege_type) FROM information_schema.role_table_grants "
                "WHERE grantee = 'bastion_authz_svc' AND table_name = "
                "'role_audit'")
                .value,
            "INSERT,SELECT");
}

TEST_F(PgRoleStoreTest, ConcurrentChangesGetDistinctVersions) {
  constexpr int kThreads = 6;
  constexpr int kPutsEach = 5;
  std::vector<std::vector<int64_t>> versions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsEach; ++i) {
        absl::StatusOr<int64_t> v =
            store_->PutRole(Actor("t1", "alice"),
                            MakeRole("r" + std::to_string(t), {"agents:read"}));
        if (v.ok()) versions[t].push_back(*v);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<int64_t> all;
  for (const auto& list : versions) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPutsEach));
  EXPECT_EQ(*all.rbegin(), kThreads * kPutsEach);
  EXPECT_EQ(store_->Version(Actor("t1", "alice")).value(),
            kThreads * kPutsEach);
}

TEST_F(PgRoleStoreTest, AnActorWithoutTenantOrSubjectIsRefused) {
  EXPECT_THAT(store_->Version(Actor("", "alice")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->PutRole(Actor("t1", ""), MakeRole("r", {})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::authz
