// Tests the per-principal token buckets with an injected clock.
#include "common/auth/rate_limiter.h"

#include <string>
#include <vector>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

class RateLimiterTest : public ::testing::Test {
 protected:
  std::unique_ptr<TokenBucketLimiter> Make(const std::string& text_config,
                                           size_t max_buckets = 100) {
    common::v1::RateLimitConfig config;
    config.set_requests_per_second(2);
    config.set_burst(3);
    (*config.mutable_tenants())["big"].set_requests_per_second(50);
    if (text_config == "zero") config.Clear();
    absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> limiter =
        TokenBucketLimiter::Create(config, &clock_, max_buckets);
    EXPECT_THAT(limiter, IsOk());
    return *std::move(limiter);
  }

  static common::v1::Principal User(const std::string& tenant,
                                    const std::string& subject) {
    common::v1::Principal principal;
    principal.set_tenant_id(tenant);
    principal.set_subject(subject);
    return principal;
  }

  // How many calls in a row are admitted.
  static int Admitted(TokenBucketLimiter& limiter,
                      const common::v1::Principal& principal, int tries) {
    int admitted = 0;
    for (int i = 0; i < tries; ++i) admitted += limiter.Admit(principal).ok();
    return admitted;
  }

  FakeClock clock_{absl::FromUnixSeconds(1000000)};
};

TEST_F(RateLimiterTest, BurstThenExhaustedThenRefills) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("");
  const common::v1::Principal alice = User("t1", "alice");
  EXPECT_EQ(Admitted(*limiter, alice, 10), 3);
  EXPECT_THAT(limiter->Admit(alice),
              StatusIs(absl::StatusCode::kResourceExhausted));
  clock_.Advance(absl::Milliseconds(500));  // 2/s: one token back
  EXPECT_EQ(Admitted(*limiter, alice, 10), 1);
  clock_.Advance(absl::Hours(1));  // never more than the burst
  EXPECT_EQ(Admitted(*limiter, alice, 10), 3);
}

TEST_F(RateLimiterTest, PrincipalsHaveSeparateBuckets) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("");
  EXPECT_EQ(Admitted(*limiter, User("t1", "alice"), 10), 3);
  EXPECT_EQ(Admitted(*limiter, User("t1", "bob"), 10), 3);
  EXPECT_EQ(Admitted(*limiter, User("t2", "alice"), 10), 3);
  // Length-prefixed keys: ("t1a", "b") is not ("t1", "ab").
  EXPECT_EQ(Admitted(*limiter, User("t", "1alice"), 10), 3);
}

TEST_F(RateLimiterTest, TenantOverrideApplies) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("");
  EXPECT_EQ(Admitted(*limiter, User("big", "carol"), 200), 100);
}

TEST_F(RateLimiterTest, ApiKeyLimitOnlyLowersTheOwners) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("");
  // Default here: 2/s, burst 3. A key asking for a million per second gets
  // the owner's limit, not more.
  common::v1::Principal greedy = User("t1", "alice");
  greedy.set_token_id("key_1");
  greedy.set_rate_limit_per_second(1000000);
  EXPECT_EQ(limiter->LimitFor(greedy).per_second, 2);
  EXPECT_EQ(limiter->LimitFor(greedy).burst, 3);
  EXPECT_EQ(Admitted(*limiter, greedy, 1000), 3);
  EXPECT_THAT(limiter->Admit(greedy),
              StatusIs(absl::StatusCode::kResourceExhausted));

  // In a tenant with a higher limit, a key may ask for less, and gets it.
  common::v1::Principal modest = User("big", "carol");
  modest.set_token_id("key_2");
  modest.set_rate_limit_per_second(5);
  EXPECT_EQ(limiter->LimitFor(modest).per_second, 5);
  EXPECT_EQ(Admitted(*limiter, modest, 50), 10);
}

TEST_F(RateLimiterTest, ApiKeyCallsCountAgainstTheOwner) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("");
  common::v1::Principal key = User("t1", "alice");
  key.set_token_id("key_1");
  key.set_rate_limit_per_second(1);  // burst 2
  EXPECT_EQ(Admitted(*limiter, key, 10), 2);
  // The owner's bucket (burst 3) lost those two calls.
  EXPECT_EQ(Admitted(*limiter, User("t1", "alice"), 10), 1);
  // And an empty owner bucket stops the key too, although the key's own
  // bucket has refilled.
  clock_.Advance(absl::Seconds(2));  // key: +2 (full); owner: +4 -> 3
  EXPECT_EQ(Admitted(*limiter, User("t1", "alice"), 10), 3);
  EXPECT_THAT(limiter->Admit(key),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Two keys of one owner share the owner's limit.
  clock_.Advance(absl::Hours(1));
  common::v1::Principal other = key;
  other.set_token_id("key_2");
  EXPECT_EQ(Admitted(*limiter, key, 1) + Admitted(*limiter, other, 10), 3);
}

TEST_F(RateLimiterTest, AnOlderClockReadingRefillsNothingTwice) {
  // Concurrent callers read the clock before they take the lock, so one
  // may arrive with an older reading than the last refill.
  std::unique_ptr<TokenBucketLimiter> limiter = Make("");
  const common::v1::Principal alice = User("t1", "alice");
  EXPECT_EQ(Admitted(*limiter, alice, 10), 3);
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(Admitted(*limiter, alice, 1), 1);  // refilled up to t+500ms
  clock_.Advance(absl::Milliseconds(-500));
  EXPECT_EQ(Admitted(*limiter, alice, 1), 0);  // an older reading: nothing
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_EQ(Admitted(*limiter, alice, 1), 0);  // t+500ms again: still nothing
}

TEST_F(RateLimiterTest, DefaultsApplyWhenUnset) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("zero");
  EXPECT_EQ(limiter->LimitFor(User("t1", "a")).per_second, 100);
  EXPECT_EQ(limiter->LimitFor(User("t1", "a")).burst, 200);
}

TEST_F(RateLimiterTest, MemoryStaysBounded) {
  std::unique_ptr<TokenBucketLimiter> limiter = Make("", /*max_buckets=*/10);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_THAT(limiter->Admit(User("t1", "u" + std::to_string(i))), IsOk());
  }
  // Still enforcing for an active principal after the churn.
  EXPECT_EQ(Admitted(*limiter, User("t1", "hot"), 10), 3);
}

TEST_F(RateLimiterTest, FailedAuthenticationsAreLimitedPerAddress) {
  common::v1::RateLimitConfig config;
  config.set_unauthenticated_per_second(2);
  config.set_unauthenticated_burst(3);
  absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> limiter =
      TokenBucketLimiter::Create(config, &clock_);
  ASSERT_THAT(limiter, IsOk());
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    admitted += (*limiter)->AdmitUnauthenticatedFrom("10.0.0.1").ok();
  }
  EXPECT_EQ(admitted, 3);
  EXPECT_THAT((*limiter)->AdmitUnauthenticatedFrom("10.0.0.1"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Another address has its own bucket; principals are unaffected.
  EXPECT_THAT((*limiter)->AdmitUnauthenticatedFrom("10.0.0.2"), IsOk());
  EXPECT_THAT((*limiter)->Admit(User("t1", "alice")), IsOk());
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_THAT((*limiter)->AdmitUnauthenticatedFrom("10.0.0.1"), IsOk());
}

TEST_F(RateLimiterTest, DefaultUnauthenticatedLimitIsABurstOf100) {
  absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> limiter =
      TokenBucketLimiter::Create(common::v1::RateLimitConfig(), &clock_);
  ASSERT_THAT(limiter, IsOk());
  int admitted = 0;
  for (int i = 0; i < 1000; ++i) {
    admitted += (*limiter)->AdmitUnauthenticatedFrom("10.0.0.1").ok();
  }
  EXPECT_EQ(admitted, 100);
}

TEST(ClientAddressTest, TheTransportPeerWithoutItsPort) {
  const absl::flat_hash_set<std::string> none;
  EXPECT_EQ(ClientAddressOf("ipv4:10.1.2.3:5000", {}, none), "10.1.2.3");
  EXPECT_EQ(ClientAddressOf("ipv6:[::1]:5000", {}, none), "::1");
  EXPECT_EQ(ClientAddressOf("ipv6:[0:0:0:0:0:0:0:1]:5000", {}, none), "::1");
  EXPECT_EQ(ClientAddressOf("ipv6:[fe80::1%25eth0]:5000", {}, none), "fe80::1");
  EXPECT_EQ(ClientAddressOf("unix:/tmp/s", {}, none), "unix:/tmp/s");
  // Without trusted proxies a forwarded header is not believed.
  const std::vector<absl::string_view> forged = {"1.1.1.1"};
  EXPECT_EQ(ClientAddressOf("ipv4:10.1.2.3:5000", forged, none), "10.1.2.3");
}

TEST(ClientAddressTest, BehindATrustedProxyTheRightmostForwardedEntry) {
  const absl::flat_hash_set<std::string> proxies = {"10.0.0.9", "::1"};
  // The client may send its own header; the proxy appends what it saw.
  const std::vector<absl::string_view> forwarded = {"6.6.6.6, 203.0.113.7"};
  EXPECT_EQ(ClientAddressOf("ipv4:10.0.0.9:40000", forwarded, proxies),
            "203.0.113.7");
  EXPECT_EQ(ClientAddressOf("ipv6:[::1]:40000", {"2001:db8:0:0::7"}, proxies),
            "2001:db8::7");
  // Several header entries: the last one is the proxy's.
  const std::vector<absl::string_view> two = {"6.6.6.6", "198.51.100.1"};
  EXPECT_EQ(ClientAddressOf("ipv4:10.0.0.9:1", two, proxies), "198.51.100.1");
  // No header, or an empty entry: the proxy's own address.
  EXPECT_EQ(ClientAddressOf("ipv4:10.0.0.9:1", {}, proxies), "10.0.0.9");
  EXPECT_EQ(ClientAddressOf("ipv4:10.0.0.9:1", {"1.2.3.4, "}, proxies),
            "10.0.0.9");
  // A connection that is not from a trusted proxy: its own address.
  EXPECT_EQ(ClientAddressOf("ipv4:10.0.0.8:1", forwarded, proxies), "10.0.0.8");
}

TEST_F(RateLimiterTest, InvalidConfigIsRefused) {
  common::v1::RateLimitConfig config;
  config.set_requests_per_second(-1);
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.Clear();
  (*config.mutable_tenants())["t1"].set_requests_per_second(0);
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A forwarded-address header needs the proxies whose header is believed,
  // and those must be addresses.
  config.Clear();
  config.set_client_address_header("x-forwarded-for");
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.add_trusted_proxies("proxy.internal");
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.clear_trusted_proxies();
  config.add_trusted_proxies("10.0.0.9");
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()), IsOk());
  config.set_client_address_header("X-Forwarded-For");
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.Clear();
  config.set_unauthenticated_burst(-1);
  EXPECT_THAT(TokenBucketLimiter::Create(config, SystemClock::Get()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion
