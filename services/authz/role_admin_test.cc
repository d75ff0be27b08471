// Tests role changes: without a database they are refused with
// FAILED_PRECONDITION; names, scopes and tools are validated naming the
// culprit; nobody grants what it does not hold (and nobody the platform
// admin scope); the change is stored, audited and visible at once on this
// replica.
#include "services/authz/role_admin.h"

#include <string>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authz/storage/memory_role_store.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

common::v1::Principal Principal(const std::string& tenant,
                                const std::string& subject,
                                std::vector<std::string> roles,
                                std::vector<std::string> scopes = {}) {
  common::v1::Principal principal;
  principal.set_tenant_id(tenant);
  principal.set_subject(subject);
  for (const std::string& role : roles) principal.add_roles(role);
  for (const std::string& scope : scopes) principal.add_scopes(scope);
  return principal;
}

const common::v1::Principal kOwner = Principal("t1", "olive", {"owner"});
const common::v1::Principal kAdmin = Principal("t1", "adam", {"admin"});

class RoleAdminTest : public ::testing::Test {
 protected:
  RoleAdminTest() : engine_(RoleSet(), &store_), admin_(&engine_, &store_) {}

  MemoryRoleStore store_;
  PolicyEngine engine_;
  RoleAdmin admin_;
};

TEST(RoleAdminWithoutDatabaseTest, ChangesAreAFailedPrecondition) {
  PolicyEngine engine{RoleSet()};
  RoleAdmin admin(&engine, /*store=*/nullptr);
  absl::StatusOr<StoredRole> put =
      admin.PutRole(kOwner, Role{"reader", {"agents:read"}, {}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("database_url"));
  EXPECT_THAT(admin.DeleteRole(kOwner, "reader"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(admin.PutToolPolicy(kOwner, ToolPolicy{{"shell"}, {}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RoleAdminTest, PutStoresAuditsAndTakesEffectAtOnceHere) {
  const common::v1::Principal bob = Principal("t1", "bob", {"agent_reader"});
  EXPECT_FALSE(engine_.Decide(bob, "agents", "read", "")->allowed);

  absl::StatusOr<StoredRole> put = admin_.PutRole(
      kOwner, Role{"agent_reader", {"agents:read"}, {}, "reads agents"});
  ASSERT_THAT(put, IsOk());
  EXPECT_EQ(put->version, 1);
  EXPECT_EQ(put->role.description, "reads agents");
  // This replica forgot its snapshot: no wait.
  absl::StatusOr<AuthzDecision> outcome =
      engine_.Decide(bob, "agents", "read", "");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->allowed);
  EXPECT_EQ(outcome->policy_version, 1);

  EXPECT_EQ(admin_.DeleteRole(kOwner, "agent_reader").value(), 2);
  EXPECT_FALSE(engine_.Decide(bob, "agents", "read", "")->allowed);

  const auto audit = store_.audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].actor, "olive");
  EXPECT_EQ(audit[0].action, "put_role");
  EXPECT_EQ(audit[0].role_name, "agent_reader");
  EXPECT_EQ(audit[1].action, "delete_role");
  EXPECT_EQ(audit[1].version, 2);
}

TEST_F(RoleAdminTest, BuiltinNamesAreRefused) {
  EXPECT_THAT(admin_.PutRole(kOwner, Role{"owner", {"agents:read"}, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(admin_.PutRole(kOwner, Role{"member", {}, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(admin_.DeleteRole(kOwner, "admin"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(admin_.PutRole(kOwner, Role{"Bad Name", {}, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(store_.audit().empty());
}

TEST_F(RoleAdminTest, MalformedScopesAndToolsAreRefusedByName) {
  absl::StatusOr<StoredRole> put =
      admin_.PutRole(kOwner, Role{"r", {"agents:read", "agents:Read"}, {}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("agents:Read"));

  put = admin_.PutRole(kOwner, Role{"r", {"nonsense:read"}, {}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("nonsense:read"));

  put = admin_.PutRole(kOwner, Role{"r", {}, {"rm -rf"}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(put.status().message()), HasSubstr("rm -rf"));

  EXPECT_THAT(admin_.PutToolPolicy(kOwner, ToolPolicy{{"ok"}, {"not ok"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(store_.audit().empty());
}

TEST_F(RoleAdminTest, ThePlatformAdminScopeIsNeverGrantable) {
  const common::v1::Principal platform =
      Principal("t1", "root", {"owner"}, {"bastion:platform_admin"});
  for (const common::v1::Principal& caller : {kOwner, platform}) {
    absl::StatusOr<StoredRole> put =
        admin_.PutRole(caller, Role{"god", {"bastion:platform_admin"}, {}});
    EXPECT_THAT(put, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(put.status().message()),
                HasSubstr("bastion:platform_admin"));
  }
}

TEST_F(RoleAdminTest, NobodyGrantsWhatItDoesNotHold) {
  // The built-in admin holds every resource scope but not the tenant admin
  // scope; the owner holds it.
  absl::StatusOr<StoredRole> put =
      admin_.PutRole(kAdmin, Role{"boss", {"agent_os:admin"}, {}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(put.status().message()),
              AllOf(HasSubstr("agent_os:admin"), HasSubstr("boss")));
  EXPECT_THAT(admin_.PutRole(kOwner, Role{"boss", {"agent_os:admin"}, {}}),
              IsOk());
  EXPECT_THAT(admin_.PutRole(
                  kAdmin, Role{"ops", {"traces:read", "agents:*:run"}, {"*"}}),
              IsOk());

  // A caller holding roles:write and a few scopes of its own.
  const common::v1::Principal lead = Principal(
      "t1", "lea", {"member"}, {"roles:write", "sessions:s-1:delete"});
  EXPECT_THAT(admin_.PutRole(
                  lead, Role{"r1", {"agents:read", "sessions:s-1:delete"}, {}}),
              IsOk());
  put = admin_.PutRole(lead, Role{"r2", {"approvals:write"}, {}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(put.status().message()),
              HasSubstr("approvals:write"));
  EXPECT_THAT(admin_.PutRole(lead, Role{"r3", {"traces:write"}, {}}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Members may use no tools, so they grant none.
  put = admin_.PutRole(lead, Role{"r4", {}, {"*"}});
  EXPECT_THAT(put, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_.PutRole(lead, Role{"r5", {}, {"shell"}}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RoleAdminTest, ChangingOrDeletingARoleNeedsEverythingItHoldsNow) {
  // The owner makes a role granting the tenant admin scope.
  ASSERT_THAT(admin_.PutRole(kOwner, Role{"admins", {"agent_os:admin"}, {}}),
              IsOk());
  // A user with only roles:write and roles:delete can neither delete it...
  const common::v1::Principal clerk = Principal(
      "t1", "cleo", {"member"}, {"roles:write", "roles:delete"});
  absl::StatusOr<int64_t> deleted = admin_.DeleteRole(clerk, "admins");
  EXPECT_THAT(deleted, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(deleted.status().message()),
              AllOf(HasSubstr("admins"), HasSubstr("agent_os:admin")));
  // ...nor replace it with something weaker under the same name.
  absl::StatusOr<StoredRole> weaker =
      admin_.PutRole(clerk, Role{"admins", {}, {}});
  EXPECT_THAT(weaker, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(std::string(weaker.status().message()),
              HasSubstr("agent_os:admin"));
  // Tools count as well: a role allowing "shell" is the admin's to change.
  ASSERT_THAT(admin_.PutRole(kAdmin, Role{"ops", {"agents:read"}, {"shell"}}),
              IsOk());
  EXPECT_THAT(admin_.PutRole(clerk, Role{"ops", {}, {}}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_.DeleteRole(clerk, "ops"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Nothing changed: only the two puts are in the role audit.
  EXPECT_EQ(store_.audit().size(), 2u);
  EXPECT_TRUE(engine_.Decide(Principal("t1", "ann", {"admins"}), "agents",
                             "run", "")
                  ->allowed);

  // Whoever holds everything the role holds may change and delete it.
  EXPECT_THAT(admin_.PutRole(kAdmin, Role{"ops", {"agents:read"}, {}}), IsOk());
  EXPECT_THAT(admin_.DeleteRole(kOwner, "admins"), IsOk());
}

TEST_F(RoleAdminTest, DeletingAMissingRoleIsNotFoundAndChangesNothing) {
  EXPECT_THAT(admin_.DeleteRole(kOwner, "ghost"),
              StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(admin_.PutRole(kOwner, Role{"r", {"agents:read"}, {}}), IsOk());
  // Another tenant's owner cannot delete it: it is not there for them.
  EXPECT_THAT(admin_.DeleteRole(Principal("t2", "eve", {"owner"}), "r"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_.audit().size(), 1u);
}

TEST_F(RoleAdminTest, ATenantHasABoundedNumberOfCustomRoles) {
  for (std::size_t i = 0; i < kMaxCustomRolesPerTenant; ++i) {
    ASSERT_THAT(admin_.PutRole(kOwner, Role{"r" + std::to_string(i), {}, {}}),
                IsOk());
  }
  EXPECT_THAT(admin_.PutRole(kOwner, Role{"one-more", {}, {}}),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Replacing an existing role is still fine.
  EXPECT_THAT(admin_.PutRole(kOwner, Role{"r0", {"agents:read"}, {}}), IsOk());
}

TEST_F(RoleAdminTest, ToolPolicyChangesReachCheckTool) {
  ASSERT_THAT(admin_.PutRole(kOwner, Role{"tool_user", {}, {"shell"}}), IsOk());
  EXPECT_EQ(admin_.PutToolPolicy(kOwner, ToolPolicy{{}, {"shell"}}).value(), 2);
  absl::StatusOr<ToolOutcome> outcome =
      engine_.DecideTool(Principal("t1", "bob", {"tool_user"}), "shell");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->decision.allowed);
  EXPECT_FALSE(outcome->decision.needs_confirmation);
  EXPECT_TRUE(outcome->decision.needs_approval);
  EXPECT_EQ(outcome->policy_version, 2);
}

TEST_F(RoleAdminTest, OnlyTenantAdminsChangeTheToolPolicy) {
  EXPECT_THAT(admin_.PutToolPolicy(kAdmin, ToolPolicy{{}, {}}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(admin_.PutToolPolicy(kOwner, ToolPolicy{{}, {}}), IsOk());
}

}  // namespace
}  // namespace bastion::authz
