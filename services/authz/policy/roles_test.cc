// Tests of built-in roles, custom role validation, role expansion and the
// versioned RoleSet snapshot.
#include "services/authz/policy/roles.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authz/policy/decision.h"
#include "services/authz/policy/scope.h"

namespace bastion::authz {
namespace {

using ::bastion::common::v1::Principal;
using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

std::vector<std::string> Texts(const std::vector<Scope>& scopes) {
  std::vector<std::string> texts;
  for (const Scope& scope : scopes) texts.push_back(scope.text);
  return texts;
}

std::vector<std::string> Texts(absl::Span<const Scope* const> scopes) {
  std::vector<std::string> texts;
  for (const Scope* scope : scopes) texts.push_back(scope->text);
  return texts;
}

std::vector<std::string> Names(std::vector<std::string> names) {
  return names;
}

RoleSet MustCreate(std::vector<Role> roles, ToolPolicy policy = {},
                   std::uint64_t version = 1) {
  absl::StatusOr<RoleSet> set =
      RoleSet::Create(ScopeGrammar(), std::move(roles), std::move(policy),
                      version);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? *set : RoleSet();
}

TEST(BuiltinRolesTest, OwnerIsTenantAdmin) {
  const RoleSet set;
  const std::vector<Scope> scopes = set.Expand(Names({"owner"}));
  EXPECT_THAT(Texts(scopes), ElementsAre("agent_os:admin"));
  EXPECT_EQ(LevelOf(scopes), AdminLevel::kTenant);
}

TEST(BuiltinRolesTest, OwnerFollowsConfiguredAdminScope) {
  absl::StatusOr<ScopeGrammar> grammar =
      ScopeGrammar::Create({"acme:admin", "acme:root"});
  ASSERT_TRUE(grammar.ok());
  absl::StatusOr<RoleSet> set = RoleSet::Create(*grammar, {}, {}, 0);
  ASSERT_TRUE(set.ok()) << set.status();
  const std::vector<Scope> scopes = set->Expand(Names({"owner"}));
  EXPECT_THAT(Texts(scopes), ElementsAre("acme:admin"));
  EXPECT_EQ(LevelOf(scopes), AdminLevel::kTenant);
}

TEST(BuiltinRolesTest, AdminHasEveryActionButIsNotAnAdminLevel) {
  const RoleSet set;
  const std::vector<Scope> scopes = set.Expand(Names({"admin"}));
  EXPECT_EQ(LevelOf(scopes), AdminLevel::kNone);
  std::vector<std::string> expected;
  for (Resource resource : kAllResources) {
    for (const char* action : {"read", "write", "delete", "run"}) {
      if (resource == Resource::kAudit && std::string(action) != "read") {
        continue;
      }
      expected.push_back(std::string(ResourceName(resource)) + ":" + action);
    }
  }
  EXPECT_THAT(Texts(scopes), ElementsAreArray(expected));
  for (const Scope& scope : scopes) {
    EXPECT_EQ(scope.kind, ScopeKind::kResourceAction) << scope;
  }
  EXPECT_FALSE(
      Decide(scopes, Permission{Resource::kAudit, "delete", {}}).allowed);
  EXPECT_TRUE(
      Decide(scopes, Permission{Resource::kRoles, "write", "r1"}).allowed);
  // Never across tenants: that takes the platform admin level.
  EXPECT_NE(LevelOf(scopes), AdminLevel::kPlatform);
}

TEST(BuiltinRolesTest, MemberScopes) {
  const RoleSet set;
  const std::vector<Scope> scopes = set.Expand(Names({"member"}));
  EXPECT_THAT(
      Texts(scopes),
      ElementsAre("agents:read", "agents:run", "teams:read", "teams:run",
                  "workflows:read", "workflows:run", "sessions:read",
                  "sessions:write", "sessions:delete", "memories:read",
                  "memories:write", "memories:delete", "traces:read",
                  "approvals:read", "schedules:read", "schedules:write",
                  "schedules:delete", "schedules:run", "api_keys:read", "api_keys:write", "runs:read",
                  "runs:write"));
  EXPECT_EQ(LevelOf(scopes), AdminLevel::kNone);
  for (const Scope& scope : scopes) {
    EXPECT_EQ(scope.kind, ScopeKind::kResourceAction) << scope;
  }
}

struct MemberCase {
  Permission needed;
  bool allowed;
};

class MemberDecisionTest : public ::testing::TestWithParam<MemberCase> {};

TEST_P(MemberDecisionTest, Decision) {
  const std::vector<Scope> scopes = RoleSet().Expand(Names({"member"}));
  const Decision decision = Decide(scopes, GetParam().needed);
  EXPECT_EQ(decision.allowed, GetParam().allowed) << decision;
}

INSTANTIATE_TEST_SUITE_P(
    Member, MemberDecisionTest,
    ::testing::Values(
        MemberCase{{Resource::kAgents, "run", "a1"}, true},
        MemberCase{{Resource::kAgents, "write", "a1"}, false},
        MemberCase{{Resource::kApprovals, "write", "ap1"}, false},
        MemberCase{{Resource::kTraces, "write", std::nullopt}, false},
        MemberCase{{Resource::kRoles, "read", std::nullopt}, false},
        MemberCase{{Resource::kConfig, "read", std::nullopt}, false},
        MemberCase{{Resource::kAudit, "read", std::nullopt}, false},
        MemberCase{{Resource::kSessions, "delete", "s1"}, true}));

// A member never reaches another tenant: that takes the platform admin level,
// which no built-in role carries.
TEST(BuiltinRolesTest, NoBuiltinRoleIsPlatformAdmin) {
  const RoleSet set;
  for (const char* role : {"owner", "admin", "member"}) {
    EXPECT_NE(LevelOf(set.Expand(Names({role}))), AdminLevel::kPlatform)
        << role;
  }
}

TEST(BuiltinRolesTest, BuiltinRoleNames) {
  EXPECT_TRUE(IsBuiltinRoleName("owner"));
  EXPECT_TRUE(IsBuiltinRoleName("admin"));
  EXPECT_TRUE(IsBuiltinRoleName("member"));
  EXPECT_FALSE(IsBuiltinRoleName("Owner"));
  EXPECT_FALSE(IsBuiltinRoleName("viewer"));
}

TEST(RoleSetTest, DefaultHasOnlyBuiltinsAtVersionZero) {
  const RoleSet set;
  EXPECT_EQ(set.version(), 0u);
  EXPECT_THAT(set.custom_roles(), IsEmpty());
  EXPECT_NE(set.Find("owner"), nullptr);
  EXPECT_NE(set.Find("admin"), nullptr);
  EXPECT_NE(set.Find("member"), nullptr);
  EXPECT_EQ(set.Find("viewer"), nullptr);
}

TEST(RoleSetTest, UnknownRolesExpandToNothing) {
  const RoleSet set;
  EXPECT_THAT(set.Expand(Names({"viewer", "Owner", "", "owner "})), IsEmpty());
  EXPECT_THAT(Texts(set.Expand(Names({"nope", "owner"}))),
              ElementsAre("agent_os:admin"));
}

TEST(RoleSetTest, CustomRoleExpandsAndDeduplicates) {
  const RoleSet set = MustCreate(
      {Role{"viewer", {"agents:read", "sessions:s1:read", "agents:*:run"}, {}},
       Role{"runner", {"agents:run", "agents:read"}, {}}});
  EXPECT_THAT(Texts(set.Expand(Names({"viewer", "runner", "viewer"}))),
              ElementsAre("agents:read", "sessions:s1:read", "agents:*:run",
                          "agents:run"));
}

TEST(RoleSetTest, EffectiveScopesJoinPrincipalScopesAndRoles) {
  const RoleSet set =
      MustCreate({Role{"viewer", {"agents:read", "teams:read"}, {}}});
  Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("u1");
  principal.add_scopes("teams:read");
  principal.add_scopes("bogus scope");
  principal.add_roles("viewer");
  principal.add_roles("ghost");
  const EffectiveScopes effective(set, principal);
  const absl::Span<const Scope* const> scopes = effective.all();
  // Token scopes first, then each known role's, in order. Not de-duplicated
  // ("teams:read" twice): the first of equals is the one a decision names.
  EXPECT_THAT(Texts(scopes), ElementsAre("teams:read", "bogus scope",
                                         "agents:read", "teams:read"));
  EXPECT_EQ(scopes[1]->kind, ScopeKind::kMalformed);
  EXPECT_EQ(Decide(scopes, Permission{Resource::kTeams, "read", {}}),
            (Decision{true, DecisionCode::kGrantedByResource,
                      "granted by scope \"teams:read\""}));
  // A role's scopes are borrowed from the snapshot, not copied.
  EXPECT_EQ(scopes[2], &set.RoleScopes("viewer")->front());
}

TEST(RoleSetTest, RoleScopesAreParsedOnce) {
  const RoleSet set = MustCreate({Role{"viewer", {"agents:read"}, {}}});
  ASSERT_NE(set.RoleScopes("viewer"), nullptr);
  EXPECT_THAT(Texts(*set.RoleScopes("viewer")), ElementsAre("agents:read"));
  ASSERT_NE(set.RoleScopes("owner"), nullptr);
  EXPECT_THAT(Texts(*set.RoleScopes("owner")), ElementsAre("agent_os:admin"));
  EXPECT_EQ(set.RoleScopes("ghost"), nullptr);
  // A copy of the RoleSet shares the snapshot, parsed scopes included.
  const RoleSet copy = set;
  EXPECT_EQ(copy.RoleScopes("viewer"), set.RoleScopes("viewer"));
}

TEST(RoleSetTest, CustomRoleMayHoldTenantAdminScope) {
  const RoleSet set = MustCreate({Role{"deputy", {"agent_os:admin"}, {}}});
  EXPECT_EQ(LevelOf(set.Expand(Names({"deputy"}))), AdminLevel::kTenant);
}

struct BadRoleCase {
  std::string name;
  Role role;
  std::string message;
};

class BadRoleTest : public ::testing::TestWithParam<BadRoleCase> {};

TEST_P(BadRoleTest, CreateRefuses) {
  absl::StatusOr<RoleSet> set =
      RoleSet::Create(ScopeGrammar(), {GetParam().role}, {}, 1);
  EXPECT_THAT(set, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(set.status().message(), GetParam().message);
}

TEST_P(BadRoleTest, ValidateCustomRoleRefusesTheSame) {
  const absl::Status status =
      ValidateCustomRole(ScopeGrammar(), GetParam().role);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(status.message(), GetParam().message);
}

TEST_P(BadRoleTest, WithRoleRefusesAndKeepsTheSnapshot) {
  const RoleSet set;
  absl::StatusOr<RoleSet> next = set.WithRole(GetParam().role);
  EXPECT_THAT(next, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(next.status().message(), GetParam().message);
  EXPECT_EQ(set.version(), 0u);
  EXPECT_THAT(set.custom_roles(), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Roles, BadRoleTest,
    ::testing::Values(
        BadRoleCase{"BuiltinOwner",
                    Role{"owner", {"agents:read"}, {}},
                    "role name \"owner\" is reserved for a built-in role"},
        BadRoleCase{"BuiltinAdmin",
                    Role{"admin", {}, {}},
                    "role name \"admin\" is reserved for a built-in role"},
        BadRoleCase{"BuiltinMember",
                    Role{"member", {}, {}},
                    "role name \"member\" is reserved for a built-in role"},
        BadRoleCase{"UpperCaseName",
                    Role{"Owner", {}, {}},
                    "invalid role name \"Owner\""},
        BadRoleCase{"EmptyName", Role{"", {}, {}}, "invalid role name \"\""},
        BadRoleCase{"SpaceInName",
                    Role{"my role", {}, {}},
                    "invalid role name \"my role\""},
        BadRoleCase{"MalformedScope",
                    Role{"viewer", {"agents:read", "agents:RUN"}, {}},
                    "role \"viewer\": malformed scope \"agents:RUN\": invalid "
                    "action \"RUN\""},
        BadRoleCase{"UnknownResource",
                    Role{"viewer", {"widgets:read"}, {}},
                    "role \"viewer\": malformed scope \"widgets:read\": "
                    "unknown resource \"widgets\""},
        BadRoleCase{"TrailingSpaceAdmin",
                    Role{"viewer", {"agent_os:admin "}, {}},
                    "role \"viewer\": malformed scope \"agent_os:admin \": "
                    "contains whitespace or a non-printable character"},
        BadRoleCase{"PlatformAdmin",
                    Role{"root", {"bastion:platform_admin"}, {}},
                    "role \"root\": scope \"bastion:platform_admin\" cannot "
                    "be granted by a custom role"},
        BadRoleCase{"LongDescription",
                    Role{"viewer", {}, {}, std::string(1025, 'd')},
                    "role \"viewer\": description longer than 1024 bytes"},
        BadRoleCase{"BadTool",
                    Role{"viewer", {"agents:read"}, {"search", "rm -rf"}},
                    "role \"viewer\": invalid tool name \"rm -rf\""},
        BadRoleCase{"EmptyTool",
                    Role{"viewer", {}, {""}},
                    "role \"viewer\": invalid tool name \"\""}),
    [](const ::testing::TestParamInfo<BadRoleCase>& info) {
      return info.param.name;
    });

TEST(RoleSetTest, CreateRefusesDuplicateNames) {
  absl::StatusOr<RoleSet> set = RoleSet::Create(
      ScopeGrammar(),
      {Role{"viewer", {"agents:read"}, {}}, Role{"viewer", {}, {}}}, {}, 1);
  EXPECT_THAT(set, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(set.status().message(), "duplicate role name \"viewer\"");
}

TEST(RoleSetTest, CreateRefusesBadToolPolicy) {
  absl::StatusOr<RoleSet> set = RoleSet::Create(
      ScopeGrammar(), {}, ToolPolicy{{"ok"}, {"not ok"}}, 1);
  EXPECT_THAT(set, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(set.status().message(),
            "requires_approval: invalid tool name \"not ok\"");
  EXPECT_EQ(ValidateToolPolicy(ToolPolicy{{"ok"}, {"not ok"}}),
            set.status());
  EXPECT_THAT(ValidateToolPolicy(ToolPolicy{{"*", "shell"}, {"a.b-c"}}),
              IsOk());
}

TEST(RoleSetTest, ValidateCustomRoleAcceptsWhatCreateAccepts) {
  const Role role{"deputy", {"agent_os:admin", "agents:*:run"}, {"*"}, "d"};
  EXPECT_THAT(ValidateCustomRole(ScopeGrammar(), role), IsOk());
  EXPECT_THAT(RoleSet::Create(ScopeGrammar(), {role}, {}, 1), IsOk());
  // Under another admin configuration the same role is malformed.
  absl::StatusOr<ScopeGrammar> acme =
      ScopeGrammar::Create({"acme:admin", "acme:root"});
  ASSERT_TRUE(acme.ok());
  EXPECT_THAT(ValidateCustomRole(*acme, role),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RoleSetTest, CustomRoleCountCountsOnlyCustomRoles) {
  EXPECT_EQ(RoleSet().custom_role_count(), 0u);
  const RoleSet two = MustCreate(
      {Role{"viewer", {"agents:read"}, {}}, Role{"runner", {}, {}}});
  EXPECT_EQ(two.custom_role_count(), 2u);
  EXPECT_EQ(two.custom_role_count(), two.custom_roles().size());
  EXPECT_EQ(two.WithRole(Role{"viewer", {}, {}})->custom_role_count(), 2u);
  EXPECT_EQ(two.WithoutRole("runner")->custom_role_count(), 1u);
}

TEST(RoleSetTest, PutReplaceAndRemoveBumpTheVersion) {
  const RoleSet v0;
  absl::StatusOr<RoleSet> v1 = v0.WithRole(Role{"viewer", {"agents:read"}, {}});
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->version(), 1u);
  EXPECT_THAT(Texts(v1->Expand(Names({"viewer"}))), ElementsAre("agents:read"));

  absl::StatusOr<RoleSet> v2 =
      v1->WithRole(Role{"viewer", {"teams:read"}, {"search"}});
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version(), 2u);
  EXPECT_THAT(Texts(v2->Expand(Names({"viewer"}))), ElementsAre("teams:read"));
  ASSERT_EQ(v2->custom_roles().size(), 1u);
  EXPECT_EQ(v2->custom_roles()[0].allowed_tools,
            std::vector<std::string>{"search"});

  // Earlier snapshots are unchanged.
  EXPECT_THAT(v0.Expand(Names({"viewer"})), IsEmpty());
  EXPECT_THAT(Texts(v1->Expand(Names({"viewer"}))), ElementsAre("agents:read"));

  absl::StatusOr<RoleSet> v3 = v2->WithoutRole("viewer");
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(v3->version(), 3u);
  EXPECT_THAT(v3->Expand(Names({"viewer"})), IsEmpty());

  EXPECT_THAT(v3->WithoutRole("viewer"), StatusIs(absl::StatusCode::kNotFound));
  absl::StatusOr<RoleSet> builtin = v3->WithoutRole("owner");
  EXPECT_THAT(builtin, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(builtin.status().message(),
            "built-in role \"owner\" cannot be removed");

  absl::StatusOr<RoleSet> v4 =
      v3->WithToolPolicy(ToolPolicy{{"shell"}, {"payments.transfer"}});
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->version(), 4u);
  EXPECT_EQ(v4->tool_policy().requires_confirmation,
            std::vector<std::string>{"shell"});
  EXPECT_THAT(v3->tool_policy().requires_confirmation, IsEmpty());
}

TEST(RoleSetTest, ListRolesAndEntryVersions) {
  const RoleSet v5 = MustCreate(
      {Role{"zeta", {"agents:read"}, {}, "last by name"},
       Role{"alpha", {}, {"search"}, "first by name"}},
      {}, 5);
  absl::StatusOr<RoleSet> v6 = v5.WithRole(Role{"beta", {"teams:read"}, {}});
  ASSERT_TRUE(v6.ok()) << v6.status();

  std::vector<std::string> names;
  std::vector<std::uint64_t> versions;
  std::vector<bool> built_in;
  for (const RoleEntry& entry : v6->ListRoles()) {
    names.push_back(entry.role.name);
    versions.push_back(entry.version);
    built_in.push_back(entry.built_in);
  }
  EXPECT_THAT(names,
              ElementsAre("owner", "admin", "member", "alpha", "beta", "zeta"));
  EXPECT_THAT(versions, ElementsAre(0u, 0u, 0u, 5u, 6u, 5u));
  EXPECT_THAT(built_in, ElementsAre(true, true, true, false, false, false));

  const RoleEntry* alpha = v6->FindEntry("alpha");
  ASSERT_NE(alpha, nullptr);
  EXPECT_EQ(alpha->role.description, "first by name");
  EXPECT_EQ(alpha->role.allowed_tools, std::vector<std::string>{"search"});
  EXPECT_EQ(v6->FindEntry("gamma"), nullptr);
  const RoleEntry* owner = v6->FindEntry("owner");
  ASSERT_NE(owner, nullptr);
  EXPECT_TRUE(owner->built_in);
}

TEST(RoleSetTest, CreateKeepsTheGivenVersion) {
  EXPECT_EQ(MustCreate({}, {}, 42).version(), 42u);
}

TEST(RoleSetTest, RoleAllowsTool) {
  const RoleSet set = MustCreate({Role{"tool_user", {}, {"search", "calc"}}});
  EXPECT_TRUE(set.RoleAllowsTool("tool_user", "search"));
  EXPECT_FALSE(set.RoleAllowsTool("tool_user", "Search"));
  EXPECT_FALSE(set.RoleAllowsTool("tool_user", "shell"));
  EXPECT_TRUE(set.RoleAllowsTool("owner", "shell"));
  EXPECT_TRUE(set.RoleAllowsTool("admin", "shell"));
  EXPECT_FALSE(set.RoleAllowsTool("member", "search"));
  EXPECT_FALSE(set.RoleAllowsTool("ghost", "search"));
  EXPECT_FALSE(set.RoleAllowsTool("owner", "*"));
  EXPECT_FALSE(set.RoleAllowsTool("owner", "bad name"));
}

TEST(RoleNameTest, Validity) {
  EXPECT_TRUE(IsValidRoleName("viewer"));
  EXPECT_TRUE(IsValidRoleName("tool-user_2"));
  EXPECT_TRUE(IsValidRoleName("2viewer"));
  EXPECT_TRUE(IsValidRoleName("-"));
  EXPECT_FALSE(IsValidRoleName(""));
  EXPECT_FALSE(IsValidRoleName("viewer.x"));
  EXPECT_FALSE(IsValidRoleName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidRoleName(std::string(64, 'a')));
  EXPECT_TRUE(IsValidToolName("payments.transfer-v2_X"));
  EXPECT_FALSE(IsValidToolName("*"));
  EXPECT_FALSE(IsValidToolName("a/b"));
  EXPECT_FALSE(IsValidToolName(std::string(129, 'a')));
}

}  // namespace
}  // namespace bastion::authz
