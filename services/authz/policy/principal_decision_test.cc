// Tests of decisions for a principal: scopes from the token and from roles
// combine; unknown roles and malformed scopes add nothing.
#include "services/authz/policy/principal_decision.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace bastion::authz {
namespace {

using ::bastion::common::v1::Principal;

Principal Parse(const std::string& text) {
  Principal principal;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &principal))
      << text;
  return principal;
}

RoleSet TestRoleSet() {
  absl::StatusOr<RoleSet> set = RoleSet::Create(
      ScopeGrammar(), {Role{"approver", {"approvals:write"}, {}}}, {}, 3);
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

const Permission kResolveApproval{Resource::kApprovals, "write", "ap1", false};

TEST(PrincipalDecisionTest, TokenScopesAlone) {
  const Principal p = Parse(R"pb(tenant_id: "t" subject: "u"
                                 scopes: "approvals:ap1:write")pb");
  EXPECT_EQ(DecideForPrincipal(TestRoleSet(), p, kResolveApproval),
            (Decision{true, DecisionCode::kGrantedById,
                      "granted by scope \"approvals:ap1:write\""}));
}

TEST(PrincipalDecisionTest, CustomRoleScopes) {
  const Principal p = Parse(R"pb(tenant_id: "t" subject: "u"
                                 roles: "member" roles: "approver")pb");
  EXPECT_EQ(DecideForPrincipal(TestRoleSet(), p, kResolveApproval),
            (Decision{true, DecisionCode::kGrantedByResource,
                      "granted by scope \"approvals:write\""}));
}

TEST(PrincipalDecisionTest, MemberAloneIsNotAnApprover) {
  const Principal p = Parse(R"pb(tenant_id: "t" subject: "u"
                                 roles: "member" roles: "Approver"
                                 scopes: "approvals:*:*")pb");
  EXPECT_EQ(DecideForPrincipal(TestRoleSet(), p, kResolveApproval),
            (Decision{false, DecisionCode::kNoMatchingScope,
                      "no scope grants approvals:ap1:write"}));
}

TEST(PrincipalDecisionTest, OwnerRoleIsTenantAdmin) {
  const Principal p =
      Parse(R"pb(tenant_id: "t" subject: "u" roles: "owner")pb");
  EXPECT_EQ(LevelOfPrincipal(TestRoleSet(), p), AdminLevel::kTenant);
  EXPECT_EQ(DecideForPrincipal(TestRoleSet(), p, kResolveApproval),
            (Decision{true, DecisionCode::kGrantedByTenantAdmin,
                      "granted by tenant admin scope \"agent_os:admin\""}));
}

TEST(PrincipalDecisionTest, AdminRoleIsNoAdminLevel) {
  const Principal p =
      Parse(R"pb(tenant_id: "t" subject: "u" roles: "admin")pb");
  EXPECT_EQ(LevelOfPrincipal(TestRoleSet(), p), AdminLevel::kNone);
}

TEST(PrincipalDecisionTest, PlatformAdminOnlyFromTheToken) {
  const Principal p = Parse(R"pb(tenant_id: "t" subject: "u"
                                 scopes: "bastion:platform_admin")pb");
  EXPECT_EQ(LevelOfPrincipal(TestRoleSet(), p), AdminLevel::kPlatform);
  EXPECT_EQ(LevelOfPrincipal(TestRoleSet(), Parse(R"pb(roles: "owner"
                                                        roles: "admin")pb")),
            AdminLevel::kTenant);
}

}  // namespace
}  // namespace bastion::authz
