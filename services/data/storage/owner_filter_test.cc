// Owner filters (pure): whose rows a statement reaches.
#include "services/data/storage/owner_filter.h"

#include "gtest/gtest.h"

namespace bastion::data::storage {
namespace {

TEST(OwnerFilterTest, NonAdminIsPinnedToItself) {
  pg::PrincipalScope user{"t1", "alice", pg::AdminLevel::kNone};
  OwnerFilter f = ListFilter(user, "bob");
  EXPECT_EQ(f.tenant_id, "t1");
  EXPECT_EQ(f.user_id, "alice");
  f = ByIdFilter(user);
  EXPECT_EQ(f.user_id, "alice");
  pg::PrincipalScope admin{"t1", "root", pg::AdminLevel::kTenant};
  f = ListFilter(admin, "bob");
  EXPECT_EQ(f.tenant_id, "t1");
  EXPECT_EQ(f.user_id, "bob");
  f = ListFilter(admin, "");
  EXPECT_EQ(f.user_id, std::nullopt);
  pg::PrincipalScope platform{"t0", "root", pg::AdminLevel::kPlatform};
  f = ListFilter(platform, "");
  EXPECT_EQ(f.tenant_id, std::nullopt);
  f = ByIdFilter(platform);
  EXPECT_EQ(f.tenant_id, "t0");
}

}  // namespace
}  // namespace bastion::data::storage
