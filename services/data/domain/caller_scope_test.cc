// Who a data call acts as: authz's decision on the Caller, never the
// principal's scope strings.
#include "services/data/domain/caller_scope.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::data::domain {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

Caller Of(const char *tenant, const char *subject,
          std::initializer_list<const char *> scopes = {}) {
  Caller caller;
  caller.principal.set_tenant_id(tenant);
  caller.principal.set_subject(subject);
  for (const char *scope : scopes) caller.principal.add_scopes(scope);
  return caller;
}

TEST(ScopeOfTest, TheAdminLevelIsAuthzsDecisionAlone) {
  // An admin by custom role: no admin scope in the credential, authz says
  // tenant admin.
  Caller by_role = Of("t1", "olga", {"sessions:read"});
  by_role.admin_level = AdminLevel::kTenant;
  auto scope = ScopeOf(by_role);
  ASSERT_THAT(scope, IsOk());
  EXPECT_EQ(scope->tenant_id, "t1");
  EXPECT_EQ(scope->user_id, "olga");
  EXPECT_EQ(scope->admin_level, AdminLevel::kTenant);

  // Admin scope strings authz did not grant count for nothing (authz may
  // be configured with other names).
  Caller by_string =
      Of("t1", "mallory", {"agent_os:admin", "bastion:platform_admin"});
  by_string.admin_level = AdminLevel::kNone;
  EXPECT_EQ(ScopeOf(by_string)->admin_level, AdminLevel::kNone);
  // Nor when authz was not asked at all.
  by_string.admin_level.reset();
  EXPECT_EQ(ScopeOf(by_string)->admin_level, AdminLevel::kNone);

  Caller platform = Of("t0", "root");
  platform.admin_level = AdminLevel::kPlatform;
  EXPECT_EQ(ScopeOf(platform)->admin_level, AdminLevel::kPlatform);
}

TEST(ScopeOfTest, APrincipalWithoutTenantOrSubjectIsRefused) {
  EXPECT_THAT(ScopeOf(Of("", "alice")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ScopeOf(Of("t1", "")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(ApproverScopeOf(Of("t1", "")),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ApproverScopeOfTest, AnApproverByAuthzReachesItsTenant) {
  // approvals:write by custom role: authz says approver.
  Caller approver = Of("t1", "dave");
  approver.approver = true;
  EXPECT_EQ(ApproverScopeOf(approver)->admin_level, AdminLevel::kTenant);
  EXPECT_EQ(ScopeOf(approver)->admin_level, AdminLevel::kNone);

  // The scope string alone makes no approver.
  Caller by_string = Of("t1", "mallory", {"approvals:write"});
  EXPECT_EQ(ApproverScopeOf(by_string)->admin_level, AdminLevel::kNone);

  // A platform admin stays one.
  Caller platform = Of("t0", "root");
  platform.admin_level = AdminLevel::kPlatform;
  platform.approver = true;
  EXPECT_EQ(ApproverScopeOf(platform)->admin_level, AdminLevel::kPlatform);
}

}  // namespace
}  // namespace bastion::data::domain
