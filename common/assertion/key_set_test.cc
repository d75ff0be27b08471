// Tests of KeySet validation and StaticKeyProvider.
#include "common/assertion/key_set.h"

#include <memory>
#include <string>
#include <vector>

#include "common/assertion/ed25519.h"
#include "common/assertion/signer.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::assertion {
namespace {

using ::bastion::common::v1::AssertionKey;
using ::bastion::testing::StatusIs;

AssertionKey FreshKey() {
  absl::StatusOr<AssertionSigner> signer = AssertionSigner::Generate();
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer->PublicKey();
}

void ExpectRefused(const std::vector<AssertionKey>& keys,
                   const std::string& message) {
  absl::StatusOr<std::shared_ptr<const KeySet>> set = KeySet::Create(keys);
  EXPECT_THAT(set, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(set.status().message(), message);
}

TEST(KeySetTest, AcceptsSignerKeys) {
  const AssertionKey a = FreshKey();
  const AssertionKey b = FreshKey();
  absl::StatusOr<std::shared_ptr<const KeySet>> set = KeySet::Create({a, b});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->size(), 2u);
  EXPECT_TRUE((*set)->Contains(a.key_id()));
  EXPECT_TRUE((*set)->Contains(b.key_id()));
  EXPECT_FALSE((*set)->Contains("0000000000000000"));
  EXPECT_FALSE((*set)->Contains(""));
  EXPECT_EQ((*set)->keys().size(), 2u);
}

TEST(KeySetTest, EmptySetVerifiesNothing) {
  absl::StatusOr<std::shared_ptr<const KeySet>> set = KeySet::Create({});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->size(), 0u);
  EXPECT_FALSE((*set)->VerifySignature("x", "m", std::string(64, 'a')));
}

TEST(KeySetTest, RefusesWrongAlgorithm) {
  AssertionKey key = FreshKey();
  key.set_algorithm("RS256");
  ExpectRefused({key}, "assertion key \"" + key.key_id() +
                           "\": algorithm must be \"EdDSA\"");
  key.set_algorithm("");
  ExpectRefused({key}, "assertion key \"" + key.key_id() +
                           "\": algorithm must be \"EdDSA\"");
  key.set_algorithm("eddsa");
  ExpectRefused({key}, "assertion key \"" + key.key_id() +
                           "\": algorithm must be \"EdDSA\"");
}

TEST(KeySetTest, RefusesWrongKeyLength) {
  AssertionKey key = FreshKey();
  key.set_public_key(key.public_key().substr(0, 31));
  ExpectRefused({key}, "assertion key \"" + key.key_id() +
                           "\": Ed25519 public key must be 32 bytes, got 31");
}

TEST(KeySetTest, RefusesKeyIdNotDerivedFromKey) {
  AssertionKey key = FreshKey();
  const AssertionKey other = FreshKey();
  key.set_key_id(other.key_id());
  ExpectRefused({key}, "assertion key \"" + other.key_id() +
                           "\": key_id is not derived from the public key");
  key.set_key_id("");
  ExpectRefused({key},
                "assertion key \"\": key_id is not derived from the public key");
}

TEST(KeySetTest, RefusesDuplicates) {
  const AssertionKey key = FreshKey();
  ExpectRefused({key, key}, "assertion key \"" + key.key_id() +
                                "\": listed twice");
}

TEST(KeySetTest, StaticProviderReturnsItsSet) {
  absl::StatusOr<std::shared_ptr<const KeySet>> set =
      KeySet::Create({FreshKey()});
  ASSERT_TRUE(set.ok());
  StaticKeyProvider provider(*set);
  absl::StatusOr<std::shared_ptr<const KeySet>> keys = provider.Keys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->get(), set->get());
  keys = provider.KeysAfterMiss("nope");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->get(), set->get());
}

}  // namespace
}  // namespace bastion::assertion
