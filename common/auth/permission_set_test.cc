// The closed permission vocabulary: names round-trip, nothing else parses.
#include "common/auth/permission_set.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace bastion {
namespace {

TEST(PermissionSetTest, EveryResourceNameRoundTripsAndIsDistinct) {
  std::set<std::string> names;
  for (Resource resource : kAllResources) {
    const absl::string_view name = ResourceName(resource);
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(ParseResource(name), resource) << name;
    names.insert(std::string(name));
  }
  EXPECT_EQ(names.size(), kAllResources.size());
}

TEST(PermissionSetTest, AnythingElseIsNoResource) {
  for (absl::string_view name :
       {"", "Agents", "agent", "agents ", "widgets", "agents:read", "*"}) {
    EXPECT_EQ(ParseResource(name), std::nullopt) << name;
  }
}

TEST(PermissionSetTest, OnlyTheListedActionsAreDeclarable) {
  for (absl::string_view action : {"read", "write", "delete", "run", "check"}) {
    EXPECT_TRUE(IsDeclarableAction(action)) << action;
  }
  for (absl::string_view action :
       {"", "READ", "reads", "admin", "*", "read ", "frobnicate"}) {
    EXPECT_FALSE(IsDeclarableAction(action)) << action;
  }
  EXPECT_EQ(DeclarableActionNames(), "read, write, delete, run, check");
  EXPECT_EQ(ResourceNames().substr(0, 22), "agents, teams, workflo");
}

}  // namespace
}  // namespace bastion
