// Tests the engine that backs Check: effective scopes from roles, the
// decision, the admin level and the policy version.
#include "services/authz/policy_engine.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

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

TEST(PolicyEngineTest, RolesExpandToScopes) {
  PolicyEngine engine{RoleSet()};
  absl::StatusOr<CheckOutcome> outcome =
      engine.Decide(Member(), "sessions", "read", "s-1");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->decision.allowed);
  EXPECT_EQ(outcome->admin_level, AdminLevel::kNone);

  outcome = engine.Decide(Member(), "roles", "write", "");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_FALSE(outcome->decision.allowed);
}

TEST(PolicyEngineTest, ExplicitScopesGrantOnlyWhatTheyName) {
  PolicyEngine engine{RoleSet()};
  common::v1::Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("bob");
  principal.add_scopes("agents:a-1:run");
  EXPECT_TRUE(engine.Decide(principal, "agents", "run", "a-1")->decision.allowed);
  EXPECT_FALSE(engine.Decide(principal, "agents", "run", "a-2")->decision.allowed);
  EXPECT_FALSE(engine.Decide(principal, "agents", "run", "")->decision.allowed);
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
  EXPECT_EQ(engine.Decide(Member(), "agents", "read", "")
                ->decision.policy_version,
            7);
}

}  // namespace
}  // namespace bastion::authz
