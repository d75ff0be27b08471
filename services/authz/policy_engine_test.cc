// Tests the engine that backs Check: effective scopes from the token and
// from roles, the decision, the admin level, the policy version, and per-tenant snapshots
// rechecked against the store at most once per interval (fake clock, fake
// store: no sleeping).
#include "services/authz/policy_engine.h"

#include <string>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "services/authz/storage/memory_role_store.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

common::v1::Principal Member() {
  common::v1::Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("alice");
  principal.add_roles("member");
  return principal;
}

common::v1::Principal WithRole(const std::string& tenant,
                               const std::string& subject,
                               const std::string& role) {
  common::v1::Principal principal;
  principal.set_tenant_id(tenant);
  principal.set_subject(subject);
  principal.add_roles(role);
  return principal;
}

bool Allowed(PolicyEngine& engine, const common::v1::Principal& principal,
             absl::string_view resource, absl::string_view action) {
  absl::StatusOr<AuthzDecision> outcome =
      engine.Decide(principal, resource, action, "");
  EXPECT_THAT(outcome, IsOk());
  return outcome.ok() && outcome->allowed;
}

TEST(PolicyEngineTest, RolesExpandToScopes) {
  PolicyEngine engine{RoleSet()};
  absl::StatusOr<AuthzDecision> outcome =
      engine.Decide(Member(), "sessions", "read", "s-1");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->allowed);
  EXPECT_EQ(outcome->admin_level, AdminLevel::kNone);

  outcome = engine.Decide(Member(), "roles", "write", "");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_FALSE(outcome->allowed);
}

TEST(PolicyEngineTest, ExplicitScopesGrantOnlyWhatTheyName) {
  PolicyEngine engine{RoleSet()};
  common::v1::Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("bob");
  principal.add_scopes("agents:a-1:run");
  EXPECT_TRUE(
      engine.Decide(principal, "agents", "run", "a-1")->allowed);
  EXPECT_FALSE(
      engine.Decide(principal, "agents", "run", "a-2")->allowed);
  EXPECT_FALSE(engine.Decide(principal, "agents", "run", "")->allowed);
}

TEST(PolicyEngineTest, AdminLevelsAreReported) {
  PolicyEngine engine{RoleSet()};
  common::v1::Principal principal = Member();
  principal.add_scopes("agent_os:admin");
  EXPECT_EQ(engine.Decide(principal, "traces", "read", "")->admin_level,
            AdminLevel::kTenant);
  principal.add_scopes("bastion:platform_admin");
  EXPECT_EQ(engine.Decide(principal, "traces", "read", "")->admin_level,
            AdminLevel::kPlatform);
}

TEST(PolicyEngineTest, MalformedPermissionIsInvalidNotAllowed) {
  PolicyEngine engine{RoleSet()};
  EXPECT_THAT(engine.Decide(Member(), "sessions", "read", "has space"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(engine.Decide(Member(), "nonsense", "read", ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // Through the Authorizer seam it is a deny, never an error or an allow.
  absl::StatusOr<AuthzDecision> decision =
      engine.Check(Caller{Member(), "a"}, {"sessions", "read", "has space"});
  ASSERT_THAT(decision, IsOk());
  EXPECT_FALSE(decision->allowed);
}

TEST(PolicyEngineTest, DecisionsCarryThePolicyVersion) {
  absl::StatusOr<RoleSet> roles =
      RoleSet::Create(ScopeGrammar::Create({}).value(), {}, {}, /*version=*/7);
  ASSERT_THAT(roles, IsOk());
  PolicyEngine engine(*roles);
  EXPECT_EQ(
      engine.Decide(Member(), "agents", "read", "")->policy_version,
      7);
}

// Decisions for a principal: scopes from its token and from its roles
// combine; unknown roles and malformed scopes add nothing. Exercised through
// the path Check takes.
class PrincipalDecisionTest : public ::testing::Test {
 protected:
  static RoleSet TestRoleSet() {
    absl::StatusOr<RoleSet> set = RoleSet::Create(
        ScopeGrammar(), {Role{"approver", {"approvals:write"}, {}}}, {}, 3);
    EXPECT_THAT(set, IsOk());
    return set.ok() ? *set : RoleSet();
  }

  static common::v1::Principal Parse(const std::string& text) {
    common::v1::Principal principal;
    EXPECT_TRUE(
        google::protobuf::TextFormat::ParseFromString(text, &principal))
        << text;
    return principal;
  }

  // Resolving approval ap1: approvals:ap1:write.
  AuthzDecision ResolveApproval(const common::v1::Principal& principal) {
    absl::StatusOr<AuthzDecision> decision =
        engine_.Decide(principal, "approvals", "write", "ap1");
    EXPECT_THAT(decision, IsOk());
    return decision.ok() ? *decision : AuthzDecision{};
  }

  AdminLevel LevelOf(const common::v1::Principal& principal) {
    absl::StatusOr<AuthzDecision> decision =
        engine_.Decide(principal, "agents", "read", "");
    EXPECT_THAT(decision, IsOk());
    return decision.ok() ? decision->admin_level : AdminLevel::kNone;
  }

  PolicyEngine engine_{TestRoleSet()};
};

TEST_F(PrincipalDecisionTest, TokenScopesAlone) {
  const AuthzDecision decision = ResolveApproval(Parse(
      R"pb(tenant_id: "t" subject: "u" scopes: "approvals:ap1:write")pb"));
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason, "granted by scope \"approvals:ap1:write\"");
  EXPECT_EQ(decision.policy_version, 3);
}

// Whether an allow holds for every id: what lets a service reuse it for
// another id (RemoteAuthorizer).
TEST_F(PrincipalDecisionTest, AnAllowSaysWhetherItHoldsForEveryId) {
  EXPECT_TRUE(ResolveApproval(Parse(
                  R"pb(tenant_id: "t" subject: "u" scopes: "approvals:write")pb"))
                  .any_resource_id);
  EXPECT_TRUE(ResolveApproval(Parse(
                  R"pb(tenant_id: "t" subject: "u" scopes: "approvals:*:write")pb"))
                  .any_resource_id);
  EXPECT_TRUE(
      ResolveApproval(Parse(R"pb(tenant_id: "t" subject: "u" roles: "owner")pb"))
          .any_resource_id);
  // One id only, even next to a grant for another one.
  const AuthzDecision one = ResolveApproval(Parse(
      R"pb(tenant_id: "t" subject: "u" scopes: "approvals:ap1:write"
           scopes: "approvals:ap2:write")pb"));
  EXPECT_TRUE(one.allowed);
  EXPECT_FALSE(one.any_resource_id);
  // A denial never does.
  const AuthzDecision denied =
      ResolveApproval(Parse(R"pb(tenant_id: "t" subject: "u")pb"));
  EXPECT_FALSE(denied.allowed);
  EXPECT_FALSE(denied.any_resource_id);
}

TEST_F(PrincipalDecisionTest, CustomRoleScopes) {
  const AuthzDecision decision = ResolveApproval(Parse(
      R"pb(tenant_id: "t" subject: "u" roles: "member" roles: "approver")pb"));
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason, "granted by scope \"approvals:write\"");
}

TEST_F(PrincipalDecisionTest, MemberAloneIsNotAnApprover) {
  const AuthzDecision decision =
      ResolveApproval(Parse(R"pb(tenant_id: "t" subject: "u"
                                 roles: "member" roles: "Approver"
                                 scopes: "approvals:*:*")pb"));
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.reason, "no scope grants approvals:ap1:write");
}

TEST_F(PrincipalDecisionTest, OwnerRoleIsTenantAdmin) {
  const common::v1::Principal owner =
      Parse(R"pb(tenant_id: "t" subject: "u" roles: "owner")pb");
  EXPECT_EQ(LevelOf(owner), AdminLevel::kTenant);
  const AuthzDecision decision = ResolveApproval(owner);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason,
            "granted by tenant admin scope \"agent_os:admin\"");
  EXPECT_EQ(decision.admin_level, AdminLevel::kTenant);
}

TEST_F(PrincipalDecisionTest, AdminRoleIsNoAdminLevel) {
  // So data's row security keeps an admin by role to its own rows of its
  // own tenant, and never across tenants.
  EXPECT_EQ(LevelOf(Parse(R"pb(tenant_id: "t" subject: "u" roles: "admin")pb")),
            AdminLevel::kNone);
}

TEST_F(PrincipalDecisionTest, PlatformAdminOnlyFromTheToken) {
  EXPECT_EQ(LevelOf(Parse(R"pb(tenant_id: "t" subject: "u"
                               scopes: "bastion:platform_admin")pb")),
            AdminLevel::kPlatform);
  EXPECT_EQ(LevelOf(Parse(R"pb(roles: "owner" roles: "admin")pb")),
            AdminLevel::kTenant);
}

TEST_F(PrincipalDecisionTest, DuplicateScopesAndRolesDecideAsOnce) {
  // Effective scopes are not de-duplicated; the decision names the first.
  const AuthzDecision decision = ResolveApproval(Parse(
      R"pb(tenant_id: "t" subject: "u" scopes: "approvals:write"
           roles: "approver" roles: "approver" roles: "owner")pb"));
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.reason, "granted by scope \"approvals:write\"");
  EXPECT_EQ(decision.admin_level, AdminLevel::kTenant);
}

TEST_F(PrincipalDecisionTest, ApproverFlagComesFromScopesAndRoles) {
  // Whatever the permission asked about, the decision says whether the
  // principal may resolve any approval of its tenant.
  auto approver = [this](const std::string& text) {
    absl::StatusOr<AuthzDecision> decision =
        engine_.Decide(Parse(text), "runs", "read", "");
    EXPECT_THAT(decision, IsOk());
    return decision.ok() && decision->approver;
  };
  EXPECT_TRUE(approver(R"pb(tenant_id: "t" subject: "u" roles: "approver")pb"));
  EXPECT_TRUE(
      approver(R"pb(tenant_id: "t" subject: "u" scopes: "approvals:write")pb"));
  EXPECT_TRUE(
      approver(R"pb(tenant_id: "t" subject: "u" scopes: "approvals:*:write")pb"));
  EXPECT_TRUE(approver(R"pb(tenant_id: "t" subject: "u" roles: "owner")pb"));
  // One approval's grant, a member, or another action is no approver.
  EXPECT_FALSE(
      approver(R"pb(tenant_id: "t" subject: "u" scopes: "approvals:ap1:write")pb"));
  EXPECT_FALSE(approver(R"pb(tenant_id: "t" subject: "u" roles: "member")pb"));
  EXPECT_FALSE(
      approver(R"pb(tenant_id: "t" subject: "u" scopes: "approvals:read")pb"));
}

// With a store: the engine of another replica (no Forget) sees a change
// only once the recheck interval has passed.
class StoredPolicyTest : public ::testing::Test {
 protected:
  StoredPolicyTest()
      : clock_(absl::FromUnixSeconds(1'700'000'000)),
        engine_(RoleSet(), &store_, &clock_) {}

  common::v1::Principal Writer() {
    common::v1::Principal principal = WithRole("t1", "olive", "owner");
    return principal;
  }

  MemoryRoleStore store_;
  FakeClock clock_;
  PolicyEngine engine_;
};

TEST_F(StoredPolicyTest, AStoredRoleChangeFlipsTheDecisionAfterTheInterval) {
  const common::v1::Principal bob = WithRole("t1", "bob", "agent_reader");
  EXPECT_FALSE(Allowed(engine_, bob, "agents", "read"));
  EXPECT_EQ(engine_.Decide(bob, "agents", "read", "")->policy_version,
            0);

  ASSERT_EQ(store_.PutRole(Writer(), Role{"agent_reader", {"agents:read"}, {}})
                .value(),
            1);
  clock_.Advance(kPolicyRecheckInterval - absl::Milliseconds(1));
  EXPECT_FALSE(Allowed(engine_, bob, "agents", "read"));  // Still cached.
  clock_.Advance(absl::Milliseconds(1));
  absl::StatusOr<AuthzDecision> outcome =
      engine_.Decide(bob, "agents", "read", "");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->allowed);
  EXPECT_EQ(outcome->policy_version, 1);

  ASSERT_THAT(store_.DeleteRole(Writer(), "agent_reader"), IsOk());
  clock_.Advance(kPolicyRecheckInterval);
  EXPECT_FALSE(Allowed(engine_, bob, "agents", "read"));
}

TEST_F(StoredPolicyTest, TheStoreIsAskedAtMostOncePerIntervalPerTenant) {
  const common::v1::Principal bob = WithRole("t1", "bob", "member");
  for (int i = 0; i < 20; ++i) Allowed(engine_, bob, "agents", "read");
  EXPECT_EQ(store_.load_calls(), 1);
  EXPECT_EQ(store_.version_calls(), 0);

  clock_.Advance(kPolicyRecheckInterval);
  for (int i = 0; i < 20; ++i) Allowed(engine_, bob, "agents", "read");
  // Unchanged: one cheap version lookup, no reload.
  EXPECT_EQ(store_.version_calls(), 1);
  EXPECT_EQ(store_.load_calls(), 1);

  // Another tenant has its own snapshot.
  Allowed(engine_, WithRole("t2", "carol", "member"), "agents", "read");
  EXPECT_EQ(store_.load_calls(), 2);

  // Forget (this replica wrote) reloads at once.
  engine_.Forget("t1");
  Allowed(engine_, bob, "agents", "read");
  EXPECT_EQ(store_.load_calls(), 3);
}

TEST_F(StoredPolicyTest, TenantsDoNotShareCustomRoles) {
  ASSERT_THAT(
      store_.PutRole(Writer(), Role{"agent_reader", {"agents:read"}, {}}),
      IsOk());
  EXPECT_TRUE(Allowed(engine_, WithRole("t1", "bob", "agent_reader"), "agents",
                      "read"));
  EXPECT_FALSE(Allowed(engine_, WithRole("t2", "bob", "agent_reader"), "agents",
                       "read"));
}

TEST_F(StoredPolicyTest, AStoreOutageFailsClosed) {
  const common::v1::Principal bob = WithRole("t1", "bob", "member");
  ASSERT_TRUE(Allowed(engine_, bob, "agents", "read"));
  store_.SetUnavailable(true);
  // Within the interval the confirmed snapshot still answers.
  EXPECT_TRUE(Allowed(engine_, bob, "agents", "read"));
  clock_.Advance(kPolicyRecheckInterval);
  EXPECT_THAT(engine_.Decide(bob, "agents", "read", ""),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(engine_.Check(Caller{bob, "a"}, {"agents", "read", ""}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(engine_.DecideTool(bob, "shell"),
              StatusIs(absl::StatusCode::kUnavailable));
  store_.SetUnavailable(false);
  EXPECT_TRUE(Allowed(engine_, bob, "agents", "read"));
}

TEST_F(StoredPolicyTest, CheckToolUsesTheTenantsStoredToolPolicy) {
  ASSERT_THAT(store_.PutRole(Writer(), Role{"tool_user", {}, {"shell"}}),
              IsOk());
  ASSERT_THAT(store_.PutToolPolicy(Writer(), ToolPolicy{{"shell"}, {"shell"}}),
              IsOk());
  absl::StatusOr<ToolOutcome> outcome =
      engine_.DecideTool(WithRole("t1", "bob", "tool_user"), "shell");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->decision.allowed);
  EXPECT_TRUE(outcome->decision.needs_confirmation);
  EXPECT_TRUE(outcome->decision.needs_approval);
  EXPECT_EQ(outcome->policy_version, 2);

  // Another tenant: no such role, no such policy.
  outcome = engine_.DecideTool(WithRole("t2", "bob", "tool_user"), "shell");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_FALSE(outcome->decision.allowed);
  outcome = engine_.DecideTool(WithRole("t2", "olive", "owner"), "shell");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->decision.allowed);
  EXPECT_FALSE(outcome->decision.needs_confirmation);
  EXPECT_FALSE(outcome->decision.needs_approval);
}

TEST_F(StoredPolicyTest, AnInvalidStoredRoleGrantsNothingAndOthersStillWork) {
  // Written behind the engine's back: the platform admin scope.
  ASSERT_THAT(
      store_.PutRole(Writer(), Role{"evil", {"bastion:platform_admin"}, {}}),
      IsOk());
  ASSERT_THAT(store_.PutRole(Writer(), Role{"reader", {"agents:read"}, {}}),
              IsOk());
  absl::StatusOr<AuthzDecision> outcome =
      engine_.Decide(WithRole("t1", "bob", "evil"), "agents", "read", "");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_FALSE(outcome->allowed);
  EXPECT_EQ(outcome->admin_level, AdminLevel::kNone);
  EXPECT_TRUE(
      Allowed(engine_, WithRole("t1", "bob", "reader"), "agents", "read"));
}

}  // namespace
}  // namespace bastion::authz
