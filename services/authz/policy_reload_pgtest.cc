// Service-level behaviour over a real PostgreSQL: two authz replicas (two
// engines, two pools) share one database. A role change made through one
// replica flips the other's Check decision once its snapshot is rechecked
// (kPolicyRecheckInterval, driven by a fake clock), and never leaks into
// another tenant.
#include <memory>

#include "common/clock/fake_clock.h"
#include "common/pg/pg_pool.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/authz/migrations/migrations.h"
#include "services/authz/policy_engine.h"
#include "services/authz/role_admin.h"
#include "services/authz/storage/pg_role_store.h"
#include "tests/pg/test_database.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

common::v1::Principal Principal(const std::string& tenant,
                                const std::string& subject,
                                const std::string& role) {
  common::v1::Principal principal;
  principal.set_tenant_id(tenant);
  principal.set_subject(subject);
  principal.add_roles(role);
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  return principal;
}

// One authz replica: its own pool, store, clock, engine and role admin.
struct Replica {
  explicit Replica(const std::string& conninfo)
      : pool(pg::PgPoolOptions{conninfo, 2, absl::Seconds(5)}),
        store(&pool),
        clock(absl::FromUnixSeconds(1'700'000'000)),
        engine(RoleSet(), &store, &clock),
        admin(&engine, &store) {}

  pg::PgPool pool;
  PgRoleStore store;
  FakeClock clock;
  PolicyEngine engine;
  RoleAdmin admin;
};

class PolicyReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<testing::TestDatabase>> db =
        testing::TestDatabase::Create(AuthzMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    a_ = std::make_unique<Replica>(db_->service_conninfo());
    b_ = std::make_unique<Replica>(db_->service_conninfo());
  }

  // The decision replica `r` gives for agents:read (ListAgents).
  AuthzDecision ListAgents(Replica& r, const common::v1::Principal& p) {
    absl::StatusOr<AuthzDecision> outcome =
        r.engine.Decide(p, "agents", "read", "");
    EXPECT_THAT(outcome, IsOk());
    return outcome.value_or(AuthzDecision{});
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<Replica> a_;
  std::unique_ptr<Replica> b_;
};

TEST_F(PolicyReloadTest, ARoleChangeFlipsCheckOnEveryReplicaWithinTheBound) {
  const common::v1::Principal owner = Principal("t1", "olive", "owner");
  const common::v1::Principal bob = Principal("t1", "bob", "agent_reader");

  EXPECT_FALSE(ListAgents(*a_, bob).allowed);
  AuthzDecision before = ListAgents(*b_, bob);
  EXPECT_FALSE(before.allowed);
  EXPECT_EQ(before.policy_version, 0);

  absl::StatusOr<StoredRole> put =
      a_->admin.PutRole(owner, Role{"agent_reader", {"agents:read"}, {}});
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->version, 1);

  // The replica that wrote sees it at once.
  EXPECT_TRUE(ListAgents(*a_, bob).allowed);
  // The other one within kPolicyRecheckInterval, not before.
  b_->clock.Advance(kPolicyRecheckInterval - absl::Milliseconds(1));
  EXPECT_FALSE(ListAgents(*b_, bob).allowed);
  b_->clock.Advance(absl::Milliseconds(1));
  AuthzDecision after = ListAgents(*b_, bob);
  EXPECT_TRUE(after.allowed);
  EXPECT_EQ(after.policy_version, 1);

  // Deleting it takes the permission away the same way.
  EXPECT_EQ(a_->admin.DeleteRole(owner, "agent_reader").value(), 2);
  EXPECT_FALSE(ListAgents(*a_, bob).allowed);
  b_->clock.Advance(kPolicyRecheckInterval);
  AuthzDecision deleted = ListAgents(*b_, bob);
  EXPECT_FALSE(deleted.allowed);
  EXPECT_EQ(deleted.policy_version, 2);
}

TEST_F(PolicyReloadTest, AnotherTenantIsNeverAffected) {
  ASSERT_THAT(a_->admin.PutRole(Principal("t1", "olive", "owner"),
                                Role{"agent_reader", {"agents:read"}, {}}),
              IsOk());
  const common::v1::Principal carol = Principal("t2", "carol", "agent_reader");
  AuthzDecision outcome = ListAgents(*b_, carol);
  EXPECT_FALSE(outcome.allowed);
  EXPECT_EQ(outcome.policy_version, 0);
  // And T2's owner cannot remove T1's role.
  EXPECT_THAT(
      b_->admin.DeleteRole(Principal("t2", "eve", "owner"), "agent_reader"),
      StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(
      ListAgents(*a_, Principal("t1", "bob", "agent_reader")).allowed);
}

TEST_F(PolicyReloadTest, ToolPolicyIsStoredAndReadByCheckTool) {
  const common::v1::Principal owner = Principal("t1", "olive", "owner");
  ASSERT_THAT(a_->admin.PutRole(owner, Role{"tool_user", {}, {"shell"}}),
              IsOk());
  ASSERT_THAT(a_->admin.PutToolPolicy(owner, ToolPolicy{{"shell"}, {}}),
              IsOk());
  absl::StatusOr<ToolOutcome> outcome =
      b_->engine.DecideTool(Principal("t1", "bob", "tool_user"), "shell");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->decision.allowed);
  EXPECT_TRUE(outcome->decision.needs_confirmation);
  EXPECT_FALSE(outcome->decision.needs_approval);
  EXPECT_EQ(outcome->policy_version, 2);
}

TEST_F(PolicyReloadTest, AnUnreachableDatabaseFailsClosed) {
  Replica down(
      "host=/nonexistent port=1 dbname=x user=bastion_authz_svc "
      "connect_timeout=1");
  EXPECT_THAT(down.engine.Decide(Principal("t1", "bob", "member"), "agents",
                                 "read", ""),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::authz
