// Cache-Control max-age parsing and the clamp to configured bounds.
#include "services/authn/jwt/cache_control.h"

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace bastion::authn::jwt {
namespace {

TEST(CacheControlTest, MaxAgeTable) {
  struct Case {
    std::string header;
    std::optional<absl::Duration> max_age;
  };
  const std::optional<absl::Duration> none;
  for (const Case& c : std::vector<Case>{
           {"", none},
           {"public", none},
           {"max-age=300", absl::Seconds(300)},
           {"public, max-age=86400, must-revalidate", absl::Seconds(86400)},
           {"MAX-AGE=60", absl::Seconds(60)},
           {"max-age = 60", absl::Seconds(60)},
           {"max-age=\"60\"", absl::Seconds(60)},
           {"s-maxage=600", none},
           {"max-age=0", absl::ZeroDuration()},
           {"no-store", absl::ZeroDuration()},
           {"no-cache, max-age=600", absl::ZeroDuration()},
           {"max-age=600, no-store", absl::ZeroDuration()},
           {"max-age=-1", absl::ZeroDuration()},
           {"max-age=1e3", absl::ZeroDuration()},
           {"max-age=", absl::ZeroDuration()},
           {"max-age", absl::ZeroDuration()},
           {"max-age=60, max-age=120", absl::ZeroDuration()},
           {"max-age=99999999999999999999999", absl::Seconds(2147483647)},
       }) {
    SCOPED_TRACE(c.header);
    EXPECT_EQ(CacheControlMaxAge(c.header), c.max_age);
  }
}

TEST(CacheControlTest, LifetimeIsClampedToTheBounds) {
  const absl::Duration min = absl::Seconds(60), max = absl::Hours(1);
  EXPECT_EQ(CacheLifetime(std::nullopt, min, max), min);
  EXPECT_EQ(CacheLifetime(absl::ZeroDuration(), min, max), min);
  EXPECT_EQ(CacheLifetime(absl::Seconds(59), min, max), min);
  EXPECT_EQ(CacheLifetime(absl::Seconds(600), min, max), absl::Seconds(600));
  EXPECT_EQ(CacheLifetime(absl::Hours(48), min, max), max);
}

}  // namespace
}  // namespace bastion::authn::jwt
