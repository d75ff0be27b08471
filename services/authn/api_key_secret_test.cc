// The API key secret format and its checks (pure).
#include "services/authn/api_key_secret.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace bastion::authn {
namespace {

TEST(ApiKeySecretTest, GeneratedSecretHasTheDocumentedShape) {
  auto generated = GenerateApiKeySecret();
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->secret.size(), kApiKeySecretLength);
  EXPECT_EQ(generated->secret.substr(0, 4), "bst_");
  EXPECT_TRUE(IsWellFormedApiKeySecret(generated->secret));
  EXPECT_EQ(generated->hash, ApiKeySecretHash(generated->secret));
  EXPECT_EQ(generated->hash.size(), kApiKeyHashBytes);
  EXPECT_EQ(generated->display_prefix, generated->secret.substr(0, 12));
}

TEST(ApiKeySecretTest, SecretsAndIdsAreFresh) {
  std::set<std::string> secrets;
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    secrets.insert(GenerateApiKeySecret()->secret);
    auto id = GenerateApiKeyId();
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(IsWellFormedApiKeyId(*id)) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(secrets.size(), 100u);
  EXPECT_EQ(ids.size(), 100u);
}

TEST(ApiKeySecretTest, RejectsEverythingElse) {
  const std::string good = GenerateApiKeySecret()->secret;
  EXPECT_FALSE(IsWellFormedApiKeySecret(""));
  EXPECT_FALSE(IsWellFormedApiKeySecret("bst_"));
  EXPECT_FALSE(IsWellFormedApiKeySecret(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(IsWellFormedApiKeySecret(good + "A"));
  EXPECT_FALSE(IsWellFormedApiKeySecret("BST_" + good.substr(4)));
  std::string padded = good;
  padded.back() = '=';
  EXPECT_FALSE(IsWellFormedApiKeySecret(padded));
  std::string plus = good;
  plus[10] = '+';
  EXPECT_FALSE(IsWellFormedApiKeySecret(plus));
  // Non-zero unused trailing bits: a second spelling of the same bytes.
  std::string all_a = "bst_" + std::string(42, 'A') + "B";
  EXPECT_FALSE(IsWellFormedApiKeySecret(all_a));
  EXPECT_TRUE(IsWellFormedApiKeySecret("bst_" + std::string(42, 'A') + "A"));
  EXPECT_TRUE(IsApiKeyCredential("bst_anything"));
  EXPECT_FALSE(IsApiKeyCredential("eyJhbGciOi.x.y"));
}

TEST(ApiKeySecretTest, KeyIdFormat) {
  EXPECT_TRUE(IsWellFormedApiKeyId("key_0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsWellFormedApiKeyId("key_0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(IsWellFormedApiKeyId("key_0123"));
  EXPECT_FALSE(IsWellFormedApiKeyId("kex_0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsWellFormedApiKeyId("key_0123456789abcdef0123456789abcde'"));
}

}  // namespace
}  // namespace bastion::authn
