// Verified-token cache: bounded LRU, expiry-bounded, key-set-bound, and a hit
// does no signature work.
#include "services/authn/jwt/token_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock/fake_clock.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/jwt_verifier.h"
#include "services/authn/jwt/testing/matchers.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::MintToken;
using ::bastion::authn::jwt::testing::RejectedWith;
using ::bastion::authn::jwt::testing::TestKey;

constexpr int64_t kNow = 1700000000;

TokenDigest Digest(absl::string_view s) {
  TokenDigest d;
  EXPECT_TRUE(DigestToken(s, &d));
  return d;
}

VerifiedToken Token(const std::string& sub, int64_t exp) {
  VerifiedToken t;
  t.subject = sub;
  t.expires_at_unix = exp;
  return t;
}

TEST(VerifiedTokenCacheTest, DigestIsSha256) {
  const TokenDigest d = Digest("abc");
  EXPECT_EQ(d[0], 0xba);
  EXPECT_EQ(d[1], 0x78);
  EXPECT_EQ(d[31], 0xad);
}

TEST(VerifiedTokenCacheTest, HitMissAndLruEviction) {
  VerifiedTokenCache cache(2);
  const absl::Time now = absl::FromUnixSeconds(kNow);
  cache.Insert(Digest("a"), Token("a", kNow + 60), 1);
  cache.Insert(Digest("b"), Token("b", kNow + 60), 1);
  ASSERT_TRUE(cache.Lookup(Digest("a"), now, 1).has_value());  // a is recent.
  cache.Insert(Digest("c"), Token("c", kNow + 60), 1);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.Lookup(Digest("b"), now, 1).has_value());
  EXPECT_EQ(cache.Lookup(Digest("a"), now, 1)->subject, "a");
  EXPECT_EQ(cache.Lookup(Digest("c"), now, 1)->subject, "c");
  EXPECT_FALSE(cache.Lookup(Digest("zzz"), now, 1).has_value());
}

TEST(VerifiedTokenCacheTest, EntryNeverOutlivesExp) {
  VerifiedTokenCache cache(4);
  cache.Insert(Digest("a"), Token("a", kNow + 10), 1);
  EXPECT_TRUE(cache.Lookup(Digest("a"), absl::FromUnixSeconds(kNow + 9), 1));
  EXPECT_FALSE(cache.Lookup(Digest("a"), absl::FromUnixSeconds(kNow + 10), 1));
  EXPECT_EQ(cache.size(), 0u);  // Dropped, not just hidden.
}

TEST(VerifiedTokenCacheTest, EntryIsBoundToKeySetGeneration) {
  VerifiedTokenCache cache(4);
  cache.Insert(Digest("a"), Token("a", kNow + 10), 1);
  EXPECT_FALSE(cache.Lookup(Digest("a"), absl::FromUnixSeconds(kNow), 2));
  EXPECT_FALSE(cache.Lookup(Digest("a"), absl::FromUnixSeconds(kNow), 1));
}

TEST(VerifiedTokenCacheTest, ZeroCapacityCachesNothing) {
  VerifiedTokenCache cache(0);
  cache.Insert(Digest("a"), Token("a", kNow + 10), 1);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(VerifiedTokenCacheTest, ConcurrentUseStaysBounded) {
  VerifiedTokenCache cache(64);
  const absl::Time now = absl::FromUnixSeconds(kNow);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, now, t] {
      for (int i = 0; i < 2000; ++i) {
        const TokenDigest d = Digest(absl::StrCat(t, "-", i % 100));
        if (!cache.Lookup(d, now, 1).has_value()) {
          cache.Insert(d, Token("s", kNow + 60), 1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), 64u);
}

class CachedVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto set = KeySet::Create({key_.VerifierKey("k")});
    ASSERT_TRUE(set.ok());
    JwtVerifierOptions o;
    o.claims.allowed_issuers = {"i"};
    o.claims.audiences = {"a"};
    o.claims.default_tenant = "t";
    cache_ = std::make_shared<VerifiedTokenCache>(16);
    auto v = JwtVerifier::Create(o, std::make_shared<StaticKeySource>(*set),
                                 &clock_, cache_);
    ASSERT_TRUE(v.ok());
    verifier_ = *std::move(v);
  }
  std::string Mint(int64_t exp, const std::string& sub = "u") const {
    return MintToken(R"({"alg":"EdDSA","kid":"k"})",
                     absl::StrCat(R"({"iss":"i","aud":"a","sub":")", sub,
                                  R"(","exp":)", exp, "}"),
                     key_, Algorithm::kEdDSA);
  }

  const TestKey key_ = TestKey::Ed25519();
  FakeClock clock_{absl::FromUnixSeconds(kNow)};
  std::shared_ptr<VerifiedTokenCache> cache_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(CachedVerifierTest, HitDoesNoSignatureWork) {
  const std::string token = Mint(kNow + 300);
  auto first = verifier_->Verify(token);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(verifier_->signature_verifications(), 1u);
  for (int i = 0; i < 100; ++i) {
    auto again = verifier_->Verify(token);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->subject, "u");
    EXPECT_EQ(again->key_id, "k");
  }
  EXPECT_EQ(verifier_->signature_verifications(), 1u);
  EXPECT_EQ(cache_->size(), 1u);
}

TEST_F(CachedVerifierTest, FailuresAreNotCachedAndExpiryStillApplies) {
  std::string bad = Mint(kNow + 300, "v");
  bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_THAT(verifier_->Verify(bad), RejectedWith(Reason::kBadSignature));
  EXPECT_THAT(verifier_->Verify(bad), RejectedWith(Reason::kBadSignature));
  EXPECT_EQ(verifier_->signature_verifications(), 2u);
  EXPECT_EQ(cache_->size(), 0u);

  const std::string token = Mint(kNow + 30);
  ASSERT_TRUE(verifier_->Verify(token).ok());
  clock_.Advance(absl::Seconds(30));  // At exp: the cache must not answer.
  ASSERT_TRUE(verifier_->Verify(token).ok());  // Re-verified within leeway.
  EXPECT_EQ(verifier_->signature_verifications(), 4u);
  clock_.Advance(absl::Seconds(60));
  EXPECT_THAT(verifier_->Verify(token), RejectedWith(Reason::kExpired));
}

}  // namespace
}  // namespace bastion::authn::jwt
