// Tests CheckCallerMayGrant directly, without RoleAdmin in front of it:
// RoleSet::WithRole refuses malformed and platform admin scopes before
// PutRole ever reaches the grant check, so only these tests pin the check's
// own answers to them (each reason is asserted, not just the code, because a
// scope the check fails to refuse explicitly still comes out as "not held").
#include "services/authz/grant_check.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authz/policy/roles.h"

namespace bastion::authz {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::string_view kNotHeld = "is not held by the caller";

common::v1::Principal Principal(std::vector<std::string> roles,
                                std::vector<std::string> scopes = {}) {
  common::v1::Principal principal;
  principal.set_tenant_id("t1");
  principal.set_subject("sam");
  for (const std::string& role : roles) principal.add_roles(role);
  for (const std::string& scope : scopes) principal.add_scopes(scope);
  return principal;
}

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

const common::v1::Principal kOwner = Principal({"owner"});
const common::v1::Principal kAdmin = Principal({"admin"});
// A platform admin by its own scope alone: no role grants it any tool.
const common::v1::Principal kPlatformAdmin =
    Principal({}, {"bastion:platform_admin"});
// A member holding roles:write, one id-scoped grant and one tool.
const common::v1::Principal kLead =
    Principal({"member", "tool_user"}, {"roles:write", "agents:a-1:write"});

class GrantCheckTest : public ::testing::Test {
 protected:
  GrantCheckTest()
      : roles_(RoleSet().WithRole(Role{"tool_user", {}, {"shell"}}).value()) {}

  absl::Status Check(const common::v1::Principal& caller,
                     std::vector<std::string> scopes,
                     std::vector<std::string> tools = {}) const {
    return CheckCallerMayGrant(
        roles_, caller, Role{"granted", std::move(scopes), std::move(tools)});
  }

  RoleSet roles_;
};

TEST_F(GrantCheckTest, AMalformedScopeIsInvalidArgumentEvenForAdmins) {
  for (const common::v1::Principal& caller : {kOwner, kPlatformAdmin, kLead}) {
    const absl::Status status = Check(caller, {"agents:read", "agents:Read"});
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Message(status),
                AllOf(HasSubstr("malformed scope"), HasSubstr("agents:Read"),
                      HasSubstr("granted"), Not(HasSubstr(kNotHeld))));
  }
}

TEST_F(GrantCheckTest, ThePlatformAdminScopeIsRefusedEvenToPlatformAdmins) {
  for (const common::v1::Principal& caller : {kOwner, kPlatformAdmin}) {
    const absl::Status status = Check(caller, {"bastion:platform_admin"});
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(Message(status),
                AllOf(HasSubstr("cannot be granted by a custom role"),
                      HasSubstr("bastion:platform_admin"),
                      Not(HasSubstr(kNotHeld))));
  }
}

TEST_F(GrantCheckTest, AScopeTheCallerDoesNotHoldIsRefusedByName) {
  absl::Status status = Check(kLead, {"agents:read", "approvals:write"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Message(status),
              AllOf(HasSubstr(kNotHeld), HasSubstr("approvals:write"),
                    HasSubstr("granted")));
  // Held on one id only: not on another, nor on every id.
  EXPECT_THAT(Check(kLead, {"agents:a-2:write"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Check(kLead, {"agents:*:write"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The built-in admin is no tenant admin.
  status = Check(kAdmin, {"agent_os:admin"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Message(status),
              AllOf(HasSubstr(kNotHeld), HasSubstr("agent_os:admin")));
  // Tools: a member's runs may invoke only what its roles allow.
  status = Check(kLead, {}, {"rm"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Message(status), AllOf(HasSubstr(kNotHeld), HasSubstr("rm")));
  EXPECT_THAT(Check(kLead, {}, {"*"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(GrantCheckTest, AScopeOrToolTheCallerHoldsIsAllowed) {
  EXPECT_THAT(Check(kLead, {"agents:read", "agents:a-1:write"}, {"shell"}),
              IsOk());
  EXPECT_THAT(Check(kAdmin, {"traces:read", "agents:*:run"}, {"*"}), IsOk());
  EXPECT_THAT(Check(kLead, {}, {}), IsOk());
}

TEST_F(GrantCheckTest, AdminsMayGrantTheTenantAdminScopeAndEveryTool) {
  for (const common::v1::Principal& caller : {kOwner, kPlatformAdmin}) {
    EXPECT_THAT(
        Check(caller, {"agent_os:admin", "approvals:write", "audit:read"},
              {"*", "shell"}),
        IsOk());
  }
}

TEST_F(GrantCheckTest, ChangingARoleNeedsWhatItHoldsAndSkipsWhatGrantsNothing) {
  const Role admins{"admins", {"agent_os:admin"}, {}};
  absl::Status status = CheckCallerMayChange(roles_, kLead, admins);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Message(status),
              AllOf(HasSubstr("agent_os:admin"), HasSubstr(kNotHeld),
                    HasSubstr("changing or deleting a role")));
  EXPECT_THAT(CheckCallerMayChange(roles_, kOwner, admins), IsOk());
  // A stored scope that no longer parses grants nothing, so it does not
  // stand in the way (granting it anew is refused as malformed).
  const Role stale{"stale", {"agents:a-1:write", "agents:Write"}, {"shell"}};
  EXPECT_THAT(CheckCallerMayChange(roles_, kLead, stale), IsOk());
  EXPECT_THAT(CheckCallerMayGrant(roles_, kLead, stale),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::authz
