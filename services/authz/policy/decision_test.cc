// Table-driven tests of Decide and LevelOf: granted scope strings and one
// needed permission in, the exact decision and reason out.
#include "services/authz/policy/decision.h"

#include <optional>
#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authz/policy/scope.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::StatusIs;

Permission Needs(Resource resource, std::string action,
                 std::optional<std::string> id = std::nullopt) {
  Permission permission;
  permission.resource = resource;
  permission.action = std::move(action);
  permission.id = std::move(id);
  return permission;
}

struct DecideCase {
  std::string name;
  std::vector<std::string> granted;
  Permission needed;
  Decision expected;
};

Decision Allowed(DecisionCode code, std::string reason) {
  return Decision{/*allowed=*/true, code, std::move(reason)};
}
Decision Denied(DecisionCode code, std::string reason) {
  return Decision{/*allowed=*/false, code, std::move(reason)};
}

class DecideTest : public ::testing::TestWithParam<DecideCase> {};

std::vector<const Scope*> Borrow(const std::vector<Scope>& scopes) {
  std::vector<const Scope*> borrowed;
  for (const Scope& scope : scopes) borrowed.push_back(&scope);
  return borrowed;
}

TEST_P(DecideTest, ExactDecisionAndReason) {
  const DecideCase& c = GetParam();
  const std::vector<Scope> granted = ScopeGrammar().ParseAll(c.granted);
  EXPECT_EQ(Decide(granted, c.needed), c.expected);
  // Borrowed scopes (the Check path) decide the same.
  EXPECT_EQ(Decide(Borrow(granted), c.needed), c.expected);
}

const Permission kRunAgentA1 = Needs(Resource::kAgents, "run", "a1");
const Permission kListAgents = Needs(Resource::kAgents, "run");
const Permission kReadSessionS1 = Needs(Resource::kSessions, "read", "s1");

INSTANTIATE_TEST_SUITE_P(
    Grants, DecideTest,
    ::testing::Values(
        // --- What each form grants.
        DecideCase{"ResourceActionGrantsAnyId",
                   {"agents:run"},
                   kRunAgentA1,
                   Allowed(DecisionCode::kGrantedByResource,
                           "granted by scope \"agents:run\"")},
        DecideCase{"ResourceActionGrantsIdless",
                   {"agents:run"},
                   kListAgents,
                   Allowed(DecisionCode::kGrantedByResource,
                           "granted by scope \"agents:run\"")},
        DecideCase{"IdScopeGrantsThatId",
                   {"agents:a1:run"},
                   kRunAgentA1,
                   Allowed(DecisionCode::kGrantedById,
                           "granted by scope \"agents:a1:run\"")},
        DecideCase{"IdScopeDoesNotGrantOtherId",
                   {"agents:a2:run"},
                   kRunAgentA1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:a1:run")},
        DecideCase{"IdScopeDoesNotGrantIdless",
                   {"agents:a1:run"},
                   kListAgents,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:run")},
        DecideCase{"IdScopeIsCaseSensitive",
                   {"agents:A1:run"},
                   kRunAgentA1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:a1:run")},
        DecideCase{"IdIsNotAPrefixMatch",
                   {"agents:a:run"},
                   kRunAgentA1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:a1:run")},
        DecideCase{"AnyIdGrantsId",
                   {"agents:*:run"},
                   kRunAgentA1,
                   Allowed(DecisionCode::kGrantedByAnyId,
                           "granted by scope \"agents:*:run\"")},
        DecideCase{"AnyIdGrantsIdless",
                   {"agents:*:run"},
                   kListAgents,
                   Allowed(DecisionCode::kGrantedByAnyId,
                           "granted by scope \"agents:*:run\"")},
        DecideCase{"TenantAdminGrantsAnything",
                   {"agent_os:admin"},
                   Needs(Resource::kConfig, "write", "c1"),
                   Allowed(DecisionCode::kGrantedByTenantAdmin,
                           "granted by tenant admin scope "
                           "\"agent_os:admin\"")},
        DecideCase{"PlatformAdminGrantsAnything",
                   {"bastion:platform_admin"},
                   Needs(Resource::kAudit, "read"),
                   Allowed(DecisionCode::kGrantedByPlatformAdmin,
                           "granted by platform admin scope "
                           "\"bastion:platform_admin\"")},
        // --- Resource and action must both match exactly.
        DecideCase{"OtherResourceDenied",
                   {"teams:run"},
                   kRunAgentA1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:a1:run")},
        DecideCase{"WriteDoesNotImplyRead",
                   {"sessions:write", "sessions:*:delete"},
                   kReadSessionS1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants sessions:s1:read")},
        DecideCase{"ReadDoesNotImplyWrite",
                   {"sessions:read"},
                   Needs(Resource::kSessions, "write", "s1"),
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants sessions:s1:write")},
        DecideCase{"NothingGrantedDenied",
                   {},
                   kReadSessionS1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants sessions:s1:read")},
        // --- Malformed scopes grant nothing (each would look close to a
        // grant of the needed permission).
        DecideCase{"MalformedFormsGrantNothing",
                   {"agents", "agents:", ":run", "agents::run", "*:run",
                    "agents:run:*", "Agents:run", "agents:RUN", "agents:*:*",
                    "agents: run", "agents:x:y:run", "widgets:run",
                    "agents:" + std::string(289, 'x') + ":run",
                    "agent_os:admin ", "AGENT_OS:ADMIN", " agent_os:admin",
                    "bastion:platform_admin\n", "agents:a1 :run",
                    "agents:a*:run", "*"},
                   kRunAgentA1,
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:a1:run")},
        DecideCase{"MalformedBesideValidStillAllows",
                   {"agents:RUN", "agents:a1:run"},
                   kRunAgentA1,
                   Allowed(DecisionCode::kGrantedById,
                           "granted by scope \"agents:a1:run\"")},
        // --- Most specific grant is reported.
        DecideCase{"IdBeatsAdminAndResource",
                   {"bastion:platform_admin", "agent_os:admin", "agents:run",
                    "agents:*:run", "agents:a1:run"},
                   kRunAgentA1,
                   Allowed(DecisionCode::kGrantedById,
                           "granted by scope \"agents:a1:run\"")},
        DecideCase{"AnyIdBeatsResource",
                   {"agents:run", "agents:*:run"},
                   kRunAgentA1,
                   Allowed(DecisionCode::kGrantedByAnyId,
                           "granted by scope \"agents:*:run\"")},
        DecideCase{"OrdinaryGrantBeatsAdmin",
                   {"agent_os:admin", "agents:run"},
                   kListAgents,
                   Allowed(DecisionCode::kGrantedByResource,
                           "granted by scope \"agents:run\"")},
        DecideCase{"TenantAdminBeatsPlatformAdmin",
                   {"bastion:platform_admin", "agent_os:admin"},
                   kListAgents,
                   Allowed(DecisionCode::kGrantedByTenantAdmin,
                           "granted by tenant admin scope "
                           "\"agent_os:admin\"")},
        // --- Invalid permissions are denied before any scope is looked at.
        DecideCase{"InvalidActionDenied",
                   {"bastion:platform_admin"},
                   Needs(Resource::kAgents, "RUN"),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid action \"RUN\"")},
        DecideCase{"WildcardActionDenied",
                   {"bastion:platform_admin"},
                   Needs(Resource::kAgents, "*"),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid action \"*\"")},
        DecideCase{"EmptyActionDenied",
                   {"agent_os:admin"},
                   Needs(Resource::kAgents, ""),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid action \"\"")},
        DecideCase{"WildcardIdDenied",
                   {"agents:*:run", "agent_os:admin"},
                   Needs(Resource::kAgents, "run", "*"),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid resource id \"*\"")},
        DecideCase{"EmptyIdDenied",
                   {"agents:run"},
                   Needs(Resource::kAgents, "run", ""),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid resource id \"\"")},
        // Every id of the suite's grammar is decidable, ':' included, and
        // a scope can name it alone.
        DecideCase{"IdWithColonIsGrantedByResource",
                   {"agents:run"},
                   Needs(Resource::kAgents, "run", "a1:run"),
                   Allowed(DecisionCode::kGrantedByResource,
                           "granted by scope \"agents:run\"")},
        DecideCase{"IdWithColonIsGrantedByItsOwnScope",
                   {"agents:t:a1:run"},
                   Needs(Resource::kAgents, "run", "t:a1"),
                   Allowed(DecisionCode::kGrantedById,
                           "granted by scope \"agents:t:a1:run\"")},
        DecideCase{"IdWithColonIsNotGrantedByItsPrefix",
                   {"agents:t:run"},
                   Needs(Resource::kAgents, "run", "t:a1"),
                   Denied(DecisionCode::kNoMatchingScope,
                          "no scope grants agents:t:a1:run")},
        DecideCase{"IdOver128BytesDenied",
                   {"agents:run"},
                   Needs(Resource::kAgents, "run", std::string(129, 'a')),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid resource id \"" + std::string(64, 'a') +
                              "...\"")},
        DecideCase{"IdWithQuoteDenied",
                   {"agents:run"},
                   Needs(Resource::kAgents, "run", "a\"1"),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid resource id \"a\\\"1\"")},
        DecideCase{"IdWithNewlineDenied",
                   {"agents:run"},
                   Needs(Resource::kAgents, "run", "a1\n"),
                   Denied(DecisionCode::kInvalidPermission,
                          "invalid resource id \"a1\\n\"")}),
    [](const ::testing::TestParamInfo<DecideCase>& info) {
      return info.param.name;
    });

// Each malformed form alone, against the permission it most resembles.
struct MalformedGrantCase {
  std::string name;
  std::string scope;
  Permission needed;
  std::string reason;
};

class MalformedGrantsNothingTest
    : public ::testing::TestWithParam<MalformedGrantCase> {};

TEST_P(MalformedGrantsNothingTest, Denied) {
  const MalformedGrantCase& c = GetParam();
  const std::vector<Scope> granted =
      ScopeGrammar().ParseAll(std::vector<std::string>{c.scope});
  ASSERT_EQ(granted.size(), 1u);
  EXPECT_TRUE(granted[0].malformed());
  EXPECT_EQ(Decide(granted, c.needed),
            Denied(DecisionCode::kNoMatchingScope, c.reason));
  EXPECT_EQ(LevelOf(granted), AdminLevel::kNone);
}

const std::string kDenyListAgents = "no scope grants agents:run";
const std::string kDenyRunA1 = "no scope grants agents:a1:run";

INSTANTIATE_TEST_SUITE_P(
    Forms, MalformedGrantsNothingTest,
    ::testing::Values(
        MalformedGrantCase{"ResourceOnly", "agents", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"EmptyAction", "agents:", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"EmptyResource", ":run", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"EmptyId", "agents::run", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"WildcardResource", "*:run", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"WildcardAction", "agents:run:*", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"UpperCaseResource", "Agents:run", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"UpperCaseAction", "agents:RUN", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"WildcardIdAndAction", "agents:*:*", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"SpaceInside", "agents: run", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"WildcardWithinId", "agents:x:*:run", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"UnknownResource", "widgets:run", kListAgents,
                           kDenyListAgents},
        MalformedGrantCase{"TooLong",
                           "agents:" + std::string(289, 'x') + ":run",
                           kListAgents, kDenyListAgents},
        MalformedGrantCase{"TooLongForItsId",
                           "agents:a1" + std::string(290, ' ') + ":run",
                           kRunAgentA1, kDenyRunA1},
        MalformedGrantCase{"AdminTrailingSpace", "agent_os:admin ",
                           kRunAgentA1, kDenyRunA1},
        MalformedGrantCase{"AdminUpperCase", "AGENT_OS:ADMIN", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"PlatformAdminNewline", "bastion:platform_admin\n",
                           kRunAgentA1, kDenyRunA1},
        MalformedGrantCase{"IdWithSpace", "agents:a1 :run", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"PartialWildcardId", "agents:a*:run", kRunAgentA1,
                           kDenyRunA1},
        MalformedGrantCase{"BareWildcard", "*", kRunAgentA1, kDenyRunA1},
        MalformedGrantCase{"NulInside", std::string("agents:run\0x", 12),
                           kListAgents, kDenyListAgents}),
    [](const ::testing::TestParamInfo<MalformedGrantCase>& info) {
      return info.param.name;
    });

TEST(DecideTest, ConfiguredAdminScopes) {
  absl::StatusOr<ScopeGrammar> grammar =
      ScopeGrammar::Create({"acme:admin", "acme:root"});
  ASSERT_TRUE(grammar.ok()) << grammar.status();
  EXPECT_EQ(Decide(grammar->ParseAll(std::vector<std::string>{"acme:admin"}),
                   kRunAgentA1),
            Allowed(DecisionCode::kGrantedByTenantAdmin,
                    "granted by tenant admin scope \"acme:admin\""));
  // The default admin scope is an unknown form under this configuration.
  EXPECT_EQ(
      Decide(grammar->ParseAll(std::vector<std::string>{"agent_os:admin"}),
             kRunAgentA1),
      Denied(DecisionCode::kNoMatchingScope, "no scope grants agents:a1:run"));
}

TEST(MakePermissionTest, BuildsValidPermissions) {
  absl::StatusOr<Permission> permission =
      MakePermission("sessions", "read", "s1");
  ASSERT_TRUE(permission.ok()) << permission.status();
  EXPECT_EQ(permission->resource, Resource::kSessions);
  EXPECT_EQ(permission->action, "read");
  EXPECT_EQ(permission->id, std::optional<std::string>("s1"));
  EXPECT_EQ(PermissionString(*permission), "sessions:s1:read");

  permission = MakePermission("api_keys", "write", std::nullopt);
  ASSERT_TRUE(permission.ok()) << permission.status();
  EXPECT_EQ(permission->id, std::nullopt);
  EXPECT_EQ(PermissionString(*permission), "api_keys:write");
}

struct BadPermissionCase {
  std::string resource;
  std::string action;
  std::optional<std::string> id;
  std::string message;
};

class BadPermissionTest : public ::testing::TestWithParam<BadPermissionCase> {
};

TEST_P(BadPermissionTest, IsRefused) {
  const BadPermissionCase& c = GetParam();
  std::optional<absl::string_view> id;
  if (c.id.has_value()) id = *c.id;
  absl::StatusOr<Permission> permission =
      MakePermission(c.resource, c.action, id);
  EXPECT_THAT(permission, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(permission.status().message(), c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Parts, BadPermissionTest,
    ::testing::Values(
        BadPermissionCase{"widgets", "read", std::nullopt,
                          "unknown resource \"widgets\""},
        BadPermissionCase{"Agents", "read", std::nullopt,
                          "unknown resource \"Agents\""},
        BadPermissionCase{"", "read", std::nullopt, "unknown resource \"\""},
        BadPermissionCase{"agents", "Read", std::nullopt,
                          "invalid action \"Read\""},
        BadPermissionCase{"agents", "*", std::nullopt,
                          "invalid action \"*\""},
        BadPermissionCase{"agents", "run", "*",
                          "invalid resource id \"*\""},
        BadPermissionCase{"agents", "run", "",
                          "invalid resource id \"\""},
        BadPermissionCase{"agents", "run", "a b",
                          "invalid resource id \"a b\""},
        BadPermissionCase{"agents", "run", "a@b",
                          "invalid resource id \"a@b\""}));

struct LevelCase {
  std::vector<std::string> scopes;
  AdminLevel expected;
};

class LevelOfTest : public ::testing::TestWithParam<LevelCase> {};

TEST_P(LevelOfTest, Level) {
  const std::vector<Scope> scopes = ScopeGrammar().ParseAll(GetParam().scopes);
  EXPECT_EQ(LevelOf(scopes), GetParam().expected);
  EXPECT_EQ(LevelOf(Borrow(scopes)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Levels, LevelOfTest,
    ::testing::Values(
        LevelCase{{}, AdminLevel::kNone},
        LevelCase{{"agents:run", "agents:*:run", "config:write"},
                  AdminLevel::kNone},
        LevelCase{{"agent_os:admin"}, AdminLevel::kTenant},
        LevelCase{{"agents:run", "agent_os:admin"}, AdminLevel::kTenant},
        LevelCase{{"bastion:platform_admin"}, AdminLevel::kPlatform},
        LevelCase{{"agent_os:admin", "bastion:platform_admin"},
                  AdminLevel::kPlatform},
        LevelCase{{"bastion:platform_admin", "agent_os:admin"},
                  AdminLevel::kPlatform},
        LevelCase{{"agent_os:admin ", "AGENT_OS:ADMIN",
                   "bastion:platform_admin:x", "agent_os:*:admin"},
                  AdminLevel::kNone},
        // Reach into other tenants is the platform level alone (data's row
        // security acts on it): no ordinary grant and no tenant admin scope
        // adds up to it.
        LevelCase{{"agent_os:admin", "agents:run", "agents:*:run",
                   "agents:a1:run"},
                  AdminLevel::kTenant},
        LevelCase{{"agents:a1:run", "bastion:platform_admin"},
                  AdminLevel::kPlatform}));

TEST(AdminLevelTest, Names) {
  EXPECT_EQ(AdminLevelName(AdminLevel::kNone), "none");
  EXPECT_EQ(AdminLevelName(AdminLevel::kTenant), "tenant");
  EXPECT_EQ(AdminLevelName(AdminLevel::kPlatform), "platform");
}

}  // namespace
}  // namespace bastion::authz
