// The admin-level derivation (pure).
#include "services/data/storage/principal_scope.h"

#include "gtest/gtest.h"

namespace bastion::data::storage {
namespace {

common::v1::Principal With(std::initializer_list<const char*> scopes,
                           const char* tenant = "t1",
                           const char* subject = "u1") {
  common::v1::Principal p;
  p.set_tenant_id(tenant);
  p.set_subject(subject);
  for (const char* s : scopes) p.add_scopes(s);
  return p;
}

TEST(AdminLevelForTest, ScopesDecide) {
  EXPECT_EQ(AdminLevelFor(With({})), pg::AdminLevel::kNone);
  EXPECT_EQ(AdminLevelFor(With({"sessions:read", "memories:write"})),
            pg::AdminLevel::kNone);
  EXPECT_EQ(AdminLevelFor(With({"agent_os:admin"})), pg::AdminLevel::kTenant);
  EXPECT_EQ(AdminLevelFor(With({"bastion:platform_admin"})),
            pg::AdminLevel::kPlatform);
  EXPECT_EQ(AdminLevelFor(With({"agent_os:admin", "bastion:platform_admin"})),
            pg::AdminLevel::kPlatform);
}

TEST(AdminLevelOfTest, AuthzsLevelAloneDecidesWhenAuthzWasAsked) {
  // An owner by role: no admin scope, but authz granted the tenant level.
  Caller owner{With({"sessions:read"}), "assertion"};
  owner.admin_level = AdminLevel::kTenant;
  EXPECT_EQ(AdminLevelOf(owner), pg::AdminLevel::kTenant);
  absl::StatusOr<pg::PrincipalScope> scope = ScopeFor(owner);
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->admin_level, pg::AdminLevel::kTenant);
  EXPECT_TRUE(IsApprover(owner));

  // authz said "none" (e.g. it names its admin scope differently): an admin
  // scope of data's own naming in the credential grants nothing.
  Caller plain{With({"agent_os:admin", "bastion:platform_admin"}), "a"};
  plain.admin_level = AdminLevel::kNone;
  EXPECT_EQ(AdminLevelOf(plain), pg::AdminLevel::kNone);
  EXPECT_EQ(ScopeFor(plain)->admin_level, pg::AdminLevel::kNone);
  EXPECT_FALSE(IsApprover(plain));

  // authz not asked (internal calls): the principal's own scopes decide.
  Caller internal{With({"agent_os:admin"}), "a"};
  EXPECT_EQ(AdminLevelOf(internal), pg::AdminLevel::kTenant);
  EXPECT_EQ(AdminLevelOf(With({"agent_os:admin"})), pg::AdminLevel::kTenant);
}

TEST(AdminLevelForTest, MatchingIsExact) {
  for (const char* near : {"AGENT_OS:ADMIN", "agent_os:admin ", "agent_os:*",
                           "agent_os:admin:x", "*", "bastion:platform_admin*",
                           "bastion:*", ""}) {
    EXPECT_EQ(AdminLevelFor(With({near})), pg::AdminLevel::kNone) << near;
  }
}

TEST(AdminLevelForTest, RolesAloneGrantNothing) {
  common::v1::Principal p = With({});
  p.add_roles("admin");
  p.add_roles("owner");
  EXPECT_EQ(AdminLevelFor(p), pg::AdminLevel::kNone);
}

TEST(AdminLevelForTest, ConfiguredScopes) {
  AdminScopes custom{"acme:admin", "acme:root"};
  EXPECT_EQ(AdminLevelFor(With({"agent_os:admin"}), custom),
            pg::AdminLevel::kNone);
  EXPECT_EQ(AdminLevelFor(With({"acme:admin"}), custom),
            pg::AdminLevel::kTenant);
  EXPECT_EQ(AdminLevelFor(With({"acme:root"}), custom),
            pg::AdminLevel::kPlatform);
  // An empty configured scope never matches an empty scope string.
  EXPECT_EQ(AdminLevelFor(With({""}), AdminScopes{"", ""}),
            pg::AdminLevel::kNone);
}

TEST(ScopeForTest, RequiresTenantAndSubject) {
  EXPECT_EQ(ScopeFor(With({}, "", "u1")).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ScopeFor(With({}, "t1", "")).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto scope = ScopeFor(With({"agent_os:admin"}, "t1", "u1"));
  ASSERT_TRUE(scope.ok());
  EXPECT_EQ(scope->tenant_id, "t1");
  EXPECT_EQ(scope->user_id, "u1");
  EXPECT_EQ(scope->admin_level, pg::AdminLevel::kTenant);
}

TEST(IsApproverTest, ScopesDecide) {
  EXPECT_FALSE(IsApprover(With({"approvals:read"})));
  EXPECT_FALSE(IsApprover(With({"approvals:a1:write"})));
  EXPECT_TRUE(IsApprover(With({"approvals:write"})));
  EXPECT_TRUE(IsApprover(With({"approvals:*:write"})));
  EXPECT_TRUE(IsApprover(With({"agent_os:admin"})));
}

}  // namespace
}  // namespace bastion::data::storage
