// Table-driven tests of DecideTool: roles, admin scopes and the tenant's
// tool policy in, the exact tool decision out.
#include "services/authz/policy/tool_decision.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authz/policy/roles.h"
#include "services/authz/policy/scope.h"

namespace bastion::authz {
namespace {

using ::bastion::common::v1::Principal;

RoleSet TestRoleSet() {
  absl::StatusOr<RoleSet> set = RoleSet::Create(
      ScopeGrammar(),
      {Role{"tool_user", {"agents:run"}, {"search", "shell", "payments.pay"}},
       Role{"all_tools", {}, {"*"}},
       Role{"searcher", {}, {"search"}}},
      ToolPolicy{/*requires_confirmation=*/{"shell", "payments.pay"},
                 /*requires_approval=*/{"payments.pay"}},
      /*version=*/7);
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

ToolDecision Allowed(std::string reason, bool confirm = false,
                     bool approve = false) {
  return ToolDecision{/*allowed=*/true, std::move(reason), confirm, approve};
}
ToolDecision Denied(std::string reason) {
  return ToolDecision{/*allowed=*/false, std::move(reason), false, false};
}

struct ToolCase {
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> scopes;
  std::string tool;
  ToolDecision expected;
};

class DecideToolTest : public ::testing::TestWithParam<ToolCase> {};

TEST_P(DecideToolTest, ExactDecision) {
  const ToolCase& c = GetParam();
  const RoleSet set = TestRoleSet();
  EXPECT_EQ(DecideTool(set, c.roles, set.grammar().ParseAll(c.scopes), c.tool),
            c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Tools, DecideToolTest,
    ::testing::Values(
        ToolCase{"ListedTool", {"searcher"}, {}, "search",
                 Allowed("tool \"search\" is allowed by role \"searcher\"")},
        ToolCase{"UnlistedTool", {"searcher"}, {}, "shell",
                 Denied("no scope or role of the caller allows tool \"shell\"")},
        ToolCase{"ToolNamesAreExact", {"searcher"}, {}, "Search",
                 Denied("no scope or role of the caller allows tool \"Search\"")},
        ToolCase{"FirstAllowingRoleIsNamed",
                 {"member", "searcher", "tool_user"},
                 {},
                 "search",
                 Allowed("tool \"search\" is allowed by role \"searcher\"")},
        ToolCase{"WildcardRole", {"all_tools"}, {}, "anything.else",
                 Allowed("tool \"anything.else\" is allowed by role "
                         "\"all_tools\"")},
        ToolCase{"MemberHasNoTools", {"member"}, {}, "search",
                 Denied("no scope or role of the caller allows tool \"search\"")},
        ToolCase{"AdminRoleHasAllTools", {"admin"}, {}, "shell",
                 Allowed("tool \"shell\" is allowed by role \"admin\"", true,
                         false)},
        ToolCase{"UnknownRoleCountsForNothing", {"ghost", "Searcher"}, {},
                 "search",
                 Denied("no scope or role of the caller allows tool \"search\"")},
        ToolCase{"NoRoles", {}, {"agents:run"}, "search",
                 Denied("no scope or role of the caller allows tool \"search\"")},
        ToolCase{"ConfirmationFlag", {"tool_user"}, {}, "shell",
                 Allowed("tool \"shell\" is allowed by role \"tool_user\"",
                         true, false)},
        ToolCase{"ConfirmationAndApprovalFlags", {"tool_user"}, {},
                 "payments.pay",
                 Allowed("tool \"payments.pay\" is allowed by role "
                         "\"tool_user\"",
                         true, true)},
        ToolCase{"DeniedCarriesNoFlags", {"searcher"}, {}, "payments.pay",
                 Denied("no scope or role of the caller allows tool \"payments.pay\"")},
        ToolCase{"TenantAdminScope", {}, {"agent_os:admin"}, "shell",
                 Allowed("every tool is allowed by the tenant admin scope",
                         true, false)},
        ToolCase{"PlatformAdminScope", {}, {"bastion:platform_admin"},
                 "payments.pay",
                 Allowed("every tool is allowed by the platform admin scope",
                         true, true)},
        ToolCase{"MalformedAdminScope", {}, {"agent_os:admin "}, "search",
                 Denied("no scope or role of the caller allows tool \"search\"")},
        ToolCase{"InvalidToolName", {"all_tools"}, {"agent_os:admin"},
                 "rm -rf /",
                 Denied("invalid tool name \"rm -rf /\"")},
        ToolCase{"WildcardIsNotAToolName", {"all_tools"}, {}, "*",
                 Denied("invalid tool name \"*\"")},
        ToolCase{"ScopeGrantsOneTool", {}, {"tools:search:run"}, "search",
                 Allowed("granted by scope \"tools:search:run\"")},
        ToolCase{"ScopeForAnotherTool", {}, {"tools:search:run"}, "shell",
                 Denied("no scope or role of the caller allows tool "
                        "\"shell\"")},
        ToolCase{"AnyToolScope", {}, {"tools:*:run"}, "payments.pay",
                 Allowed("granted by scope \"tools:*:run\"", true, true)},
        ToolCase{"EveryToolScope", {}, {"tools:run"}, "shell",
                 Allowed("granted by scope \"tools:run\"", true, false)},
        ToolCase{"OtherActionOnTools", {}, {"tools:search:read"}, "search",
                 Denied("no scope or role of the caller allows tool "
                        "\"search\"")},
        ToolCase{"EmptyToolName", {"all_tools"}, {}, "",
                 Denied("invalid tool name \"\"")}),
    [](const ::testing::TestParamInfo<ToolCase>& info) {
      return info.param.name;
    });

TEST(DecideToolTest, WildcardToolPolicy) {
  absl::StatusOr<RoleSet> set = RoleSet().WithToolPolicy(
      ToolPolicy{/*requires_confirmation=*/{"*"}, /*requires_approval=*/{}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(DecideTool(*set, {"admin"}, {}, "search"),
            Allowed("tool \"search\" is allowed by role \"admin\"", true,
                    false));
}

TEST(DecideToolTest, PrincipalOverloadUsesRolesAndEffectiveScopes) {
  const RoleSet set = TestRoleSet();
  Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("u1");
  principal.add_roles("member");
  EXPECT_EQ(DecideTool(set, principal, "search"),
            Denied("no scope or role of the caller allows tool \"search\""));

  principal.add_roles("searcher");
  EXPECT_EQ(DecideTool(set, principal, "search"),
            Allowed("tool \"search\" is allowed by role \"searcher\""));

  // The owner role expands to the tenant admin scope.
  Principal owner;
  owner.set_tenant_id("t1");
  owner.set_subject("u2");
  owner.add_roles("owner");
  EXPECT_EQ(DecideTool(set, owner, "payments.pay"),
            Allowed("every tool is allowed by the tenant admin scope", true,
                    true));

  // A directly granted admin scope counts too.
  Principal direct;
  direct.add_scopes("agent_os:admin");
  EXPECT_EQ(DecideTool(set, direct, "search"),
            Allowed("every tool is allowed by the tenant admin scope"));
}

}  // namespace
}  // namespace bastion::authz
