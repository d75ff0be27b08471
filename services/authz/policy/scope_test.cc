// Tests of the scope grammar: every accepted form and every malformed one,
// with the exact reason.
#include "services/authz/policy/scope.h"

#include <cstdint>
#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::StatusIs;

struct ValidCase {
  std::string text;
  ScopeKind kind;
  Resource resource;
  std::string id;
  std::string action;
};

class ValidScopeTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ValidScopeTest, ParsesToTypedScope) {
  const ValidCase& c = GetParam();
  const ScopeGrammar grammar;
  Scope expected;
  expected.kind = c.kind;
  expected.resource = c.resource;
  expected.id = c.id;
  expected.action = c.action;
  expected.text = c.text;
  EXPECT_EQ(grammar.Parse(c.text), expected);
  absl::StatusOr<Scope> strict = grammar.ParseStrict(c.text);
  ASSERT_TRUE(strict.ok()) << strict.status();
  EXPECT_EQ(*strict, expected);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ValidScopeTest,
    ::testing::Values(
        ValidCase{"agents:run", ScopeKind::kResourceAction, Resource::kAgents,
                  "", "run"},
        ValidCase{"api_keys:write", ScopeKind::kResourceAction,
                  Resource::kApiKeys, "", "write"},
        ValidCase{"sessions:s-42:read", ScopeKind::kResourceIdAction,
                  Resource::kSessions, "s-42", "read"},
        ValidCase{"agents:*:run", ScopeKind::kResourceAnyIdAction,
                  Resource::kAgents, "", "run"},
        ValidCase{"runs:r_1.x~!@#$%^&()[]{}<>?/|+=,;'\"`:delete",
                  ScopeKind::kResourceIdAction, Resource::kRuns,
                  "r_1.x~!@#$%^&()[]{}<>?/|+=,;'\"`", "delete"},
        ValidCase{"audit:read", ScopeKind::kResourceAction, Resource::kAudit,
                  "", "read"},
        ValidCase{"config:x:list_all2", ScopeKind::kResourceIdAction,
                  Resource::kConfig, "x", "list_all2"},
        ValidCase{"agent_os:admin", ScopeKind::kTenantAdmin, Resource::kAgents,
                  "", ""},
        ValidCase{"bastion:platform_admin", ScopeKind::kPlatformAdmin,
                  Resource::kAgents, "", ""}));

TEST(ScopeTest, EveryResourceNameRoundTrips) {
  const ScopeGrammar grammar;
  for (Resource resource : kAllResources) {
    const std::string text = std::string(ResourceName(resource)) + ":read";
    const Scope scope = grammar.Parse(text);
    EXPECT_EQ(scope.kind, ScopeKind::kResourceAction) << text;
    EXPECT_EQ(scope.resource, resource) << text;
    EXPECT_EQ(ParseResource(ResourceName(resource)), resource);
  }
  EXPECT_EQ(ParseResource("Agents"), std::nullopt);
  EXPECT_EQ(ParseResource("agent"), std::nullopt);
  EXPECT_EQ(ParseResource(""), std::nullopt);
}

TEST(ScopeTest, MaxLengthScopeIsAccepted) {
  const std::string id(kMaxScopeBytes - std::string("agents::run").size(),
                       'x');
  const std::string text = "agents:" + id + ":run";
  ASSERT_EQ(text.size(), kMaxScopeBytes);
  EXPECT_EQ(ScopeGrammar().Parse(text).kind, ScopeKind::kResourceIdAction);
}

struct MalformedCase {
  std::string name;
  std::string text;
  std::string message;
};

class MalformedScopeTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedScopeTest, IsMalformedWithReason) {
  const MalformedCase& c = GetParam();
  const ScopeGrammar grammar;
  const Scope scope = grammar.Parse(c.text);
  EXPECT_EQ(scope.kind, ScopeKind::kMalformed);
  EXPECT_TRUE(scope.malformed());
  EXPECT_EQ(scope.text, c.text);
  // Nothing half-parsed is kept: only the kind and the text.
  Scope only_text;
  only_text.text = c.text;
  EXPECT_EQ(scope, only_text);
  absl::StatusOr<Scope> strict = grammar.ParseStrict(c.text);
  EXPECT_THAT(strict, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(strict.status().message(), c.message);
}

const std::string k300Bytes = "agents:" + std::string(289, 'x') + ":run";

INSTANTIATE_TEST_SUITE_P(
    Forms, MalformedScopeTest,
    ::testing::Values(
        MalformedCase{"Empty", "", "malformed scope \"\": empty"},
        MalformedCase{"ResourceOnly", "agents",
                      "malformed scope \"agents\": expected resource:action "
                      "or resource:id:action"},
        MalformedCase{"EmptyAction", "agents:",
                      "malformed scope \"agents:\": empty part"},
        MalformedCase{"EmptyResource", ":run",
                      "malformed scope \":run\": empty part"},
        MalformedCase{"EmptyId", "agents::run",
                      "malformed scope \"agents::run\": empty part"},
        MalformedCase{"WildcardResource", "*:run",
                      "malformed scope \"*:run\": unknown resource \"*\""},
        MalformedCase{"WildcardAction", "agents:run:*",
                      "malformed scope \"agents:run:*\": invalid action "
                      "\"*\""},
        MalformedCase{"UpperCaseResource", "Agents:run",
                      "malformed scope \"Agents:run\": unknown resource "
                      "\"Agents\""},
        MalformedCase{"UpperCaseAction", "agents:RUN",
                      "malformed scope \"agents:RUN\": invalid action "
                      "\"RUN\""},
        MalformedCase{"WildcardIdAndAction", "agents:*:*",
                      "malformed scope \"agents:*:*\": invalid action \"*\""},
        MalformedCase{"SpaceInside", "agents: run",
                      "malformed scope \"agents: run\": contains whitespace "
                      "or a non-printable character"},
        MalformedCase{"WildcardWithinId", "agents:x:*:run",
                      "malformed scope \"agents:x:*:run\": invalid id "
                      "\"x:*\""},
        MalformedCase{"UnknownResource", "widgets:read",
                      "malformed scope \"widgets:read\": unknown resource "
                      "\"widgets\""},
        MalformedCase{"SingularResource", "agent:read",
                      "malformed scope \"agent:read\": unknown resource "
                      "\"agent\""},
        MalformedCase{"TooLong", k300Bytes,
                      "malformed scope \"agents:" + std::string(57, 'x') +
                          "...\": longer than 256 bytes"},
        MalformedCase{"AdminTrailingSpace", "agent_os:admin ",
                      "malformed scope \"agent_os:admin \": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"AdminUpperCase", "AGENT_OS:ADMIN",
                      "malformed scope \"AGENT_OS:ADMIN\": unknown resource "
                      "\"AGENT_OS\""},
        MalformedCase{"AdminLeadingSpace", " agent_os:admin",
                      "malformed scope \" agent_os:admin\": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"AdminExtraSuffix", "agent_os:admin:x",
                      "malformed scope \"agent_os:admin:x\": unknown "
                      "resource \"agent_os\""},
        MalformedCase{"Tab", "agents:\trun",
                      "malformed scope \"agents:\\trun\": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"Newline", "agents:run\n",
                      "malformed scope \"agents:run\\n\": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"Nul", std::string("agents:run\0", 11),
                      "malformed scope \"agents:run\\000\": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"Utf8", "agents:r\xc3\xbcn",
                      "malformed scope \"agents:r\\303\\274n\": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"Del", "agents:run\x7f",
                      "malformed scope \"agents:run\\177\": contains "
                      "whitespace or a non-printable character"},
        MalformedCase{"PartialWildcardId", "agents:a*:run",
                      "malformed scope \"agents:a*:run\": invalid id "
                      "\"a*\""},
        MalformedCase{"ActionStartsWithDigit", "agents:1run",
                      "malformed scope \"agents:1run\": invalid action "
                      "\"1run\""},
        MalformedCase{"ActionWithDash", "agents:re-ad",
                      "malformed scope \"agents:re-ad\": invalid action "
                      "\"re-ad\""},
        MalformedCase{"OnlyColon", ":",
                      "malformed scope \":\": empty part"},
        MalformedCase{"ThreeColonsEmpty", "::",
                      "malformed scope \"::\": empty part"},
        MalformedCase{"FourEmptyParts", ":::",
                      "malformed scope \":::\": empty part"},
        MalformedCase{"TrailingColonAfterThreeParts", "agents:x:run:",
                      "malformed scope \"agents:x:run:\": empty part"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) {
      return info.param.name;
    });

TEST(ScopeGrammarTest, ConfiguredAdminScopesReplaceTheDefaults) {
  absl::StatusOr<ScopeGrammar> grammar =
      ScopeGrammar::Create({"acme:tenant_admin", "acme:root"});
  ASSERT_TRUE(grammar.ok()) << grammar.status();
  EXPECT_EQ(grammar->Parse("acme:tenant_admin").kind, ScopeKind::kTenantAdmin);
  EXPECT_EQ(grammar->Parse("acme:root").kind, ScopeKind::kPlatformAdmin);
  // The defaults are no longer admin scopes: they are unknown forms.
  EXPECT_EQ(grammar->Parse("agent_os:admin").kind, ScopeKind::kMalformed);
  EXPECT_EQ(grammar->Parse("bastion:platform_admin").kind,
            ScopeKind::kMalformed);
}

TEST(ScopeGrammarTest, AdminScopeWithoutColonIsAllowed) {
  absl::StatusOr<ScopeGrammar> grammar =
      ScopeGrammar::Create({"superuser", "platform-root"});
  ASSERT_TRUE(grammar.ok()) << grammar.status();
  EXPECT_EQ(grammar->Parse("superuser").kind, ScopeKind::kTenantAdmin);
  EXPECT_EQ(grammar->Parse("platform-root").kind, ScopeKind::kPlatformAdmin);
}

struct BadConfigCase {
  std::string name;
  AdminScopeConfig config;
  std::string message;
};

class BadAdminConfigTest : public ::testing::TestWithParam<BadConfigCase> {};

TEST_P(BadAdminConfigTest, IsRefused) {
  absl::StatusOr<ScopeGrammar> grammar =
      ScopeGrammar::Create(GetParam().config);
  EXPECT_THAT(grammar, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(grammar.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, BadAdminConfigTest,
    ::testing::Values(
        BadConfigCase{"EmptyTenant", {"", "p:admin"}, "tenant_admin is empty"},
        BadConfigCase{"EmptyPlatform",
                      {"t:admin", ""},
                      "platform_admin is empty"},
        BadConfigCase{"Space",
                      {"t: admin", "p:admin"},
                      "tenant_admin contains whitespace or a non-printable "
                      "character"},
        BadConfigCase{"TooLong",
                      {"t:admin", std::string(257, 'p')},
                      "platform_admin is longer than 256 bytes"},
        BadConfigCase{"ResourceLike",
                      {"agents:admin", "p:admin"},
                      "tenant_admin \"agents:admin\" starts with a resource "
                      "name and would be ambiguous"},
        BadConfigCase{"ResourceOnly",
                      {"t:admin", "config"},
                      "platform_admin \"config\" starts with a resource name "
                      "and would be ambiguous"},
        BadConfigCase{"Same",
                      {"x:admin", "x:admin"},
                      "tenant_admin and platform_admin must differ"}),
    [](const ::testing::TestParamInfo<BadConfigCase>& info) {
      return info.param.name;
    });

// Rebuilds the text of an accepted scope from its typed parts.
std::string Canonical(const Scope& scope, const ScopeGrammar& grammar) {
  switch (scope.kind) {
    case ScopeKind::kTenantAdmin:
      return grammar.config().tenant_admin;
    case ScopeKind::kPlatformAdmin:
      return grammar.config().platform_admin;
    case ScopeKind::kResourceAction:
      return std::string(ResourceName(scope.resource)) + ":" + scope.action;
    case ScopeKind::kResourceAnyIdAction:
      return std::string(ResourceName(scope.resource)) + ":*:" + scope.action;
    case ScopeKind::kResourceIdAction:
      return std::string(ResourceName(scope.resource)) + ":" + scope.id + ":" +
             scope.action;
    case ScopeKind::kMalformed:
      break;
  }
  return "";
}

TEST(ScopeTest, RandomStringsAreMalformedOrParseWithoutNormalisation) {
  // Deterministic pseudo-random strings over an alphabet rich in the
  // grammar's special characters. Any accepted scope must rebuild to exactly
  // its input: no case folding, trimming or other normalisation.
  const ScopeGrammar grammar;
  const std::string alphabet = "agentsruAR:*_ \t\n-x1";
  const std::vector<std::string> seeds = {"agents", "run", "read", "*",
                                          ":", "sessions", "agent_os",
                                          "admin", " ", "A"};
  std::uint32_t state = 12345;
  auto next = [&state]() {
    state = state * 1103515245u + 12345u;
    return (state >> 16) & 0x7fff;
  };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int parts = 1 + next() % 6;
    for (int p = 0; p < parts; ++p) {
      if (next() % 2 == 0) {
        text += seeds[next() % seeds.size()];
      } else {
        text += alphabet[next() % alphabet.size()];
      }
    }
    const Scope scope = grammar.Parse(text);
    EXPECT_EQ(scope.text, text);
    if (scope.malformed()) continue;
    ++accepted;
    EXPECT_EQ(Canonical(scope, grammar), text);
  }
  EXPECT_GT(accepted, 0);
}

TEST(ScopeTest, ParseAllKeepsMalformedScopesInPlace) {
  const std::vector<std::string> texts = {"agents:run", "bogus", "agents:*:read"};
  const std::vector<Scope> scopes = ScopeGrammar().ParseAll(texts);
  ASSERT_EQ(scopes.size(), 3u);
  EXPECT_EQ(scopes[0].kind, ScopeKind::kResourceAction);
  EXPECT_EQ(scopes[1].kind, ScopeKind::kMalformed);
  EXPECT_EQ(scopes[2].kind, ScopeKind::kResourceAnyIdAction);
}

TEST(ScopeTest, ValidatorsForActionsAndIds) {
  EXPECT_TRUE(IsValidAction("read"));
  EXPECT_TRUE(IsValidAction("list_all"));
  EXPECT_FALSE(IsValidAction(""));
  EXPECT_FALSE(IsValidAction("*"));
  EXPECT_FALSE(IsValidAction("Read"));
  EXPECT_FALSE(IsValidAction("_read"));
  EXPECT_TRUE(IsValidScopeId("s-1"));
  EXPECT_TRUE(IsValidScopeId("a:b"));
  EXPECT_FALSE(IsValidScopeId(""));
  EXPECT_FALSE(IsValidScopeId("*"));
  EXPECT_FALSE(IsValidScopeId("a*"));
  EXPECT_FALSE(IsValidScopeId("a b"));
  EXPECT_FALSE(IsValidScopeId(std::string(257, 'a')));
}

TEST(ScopeTest, AnIdMayHoldColonsTheScopeSplitsAtTheFirstAndLast) {
  const Scope scope = ScopeGrammar().Parse("sessions:t1:s:42:read");
  EXPECT_EQ(scope.kind, ScopeKind::kResourceIdAction);
  EXPECT_EQ(scope.resource, Resource::kSessions);
  EXPECT_EQ(scope.id, "t1:s:42");
  EXPECT_EQ(scope.action, "read");
}

}  // namespace
}  // namespace bastion::authz
