// Key loading: what is refused at startup, and which algorithms a key gets.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/key.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/reason.h"
#include "services/authn/jwt/signature.h"
#include "services/authn/jwt/testing/matchers.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::RejectedWith;
using ::bastion::authn::jwt::testing::TestKey;
using ::testing::HasSubstr;

TEST(KeysTest, HmacSecretShorterThanHashIsRefused) {
  struct Case {
    Algorithm alg;
    size_t min;
  };
  for (const Case& c :
       {Case{Algorithm::kHS256, 32}, Case{Algorithm::kHS384, 48},
        Case{Algorithm::kHS512, 64}}) {
    auto short_key = VerificationKey::FromHmacSecret(
        std::string(c.min - 1, 's'), "k", {c.alg});
    EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(short_key.status().message(), HasSubstr("shorter"));
    EXPECT_TRUE(
        VerificationKey::FromHmacSecret(std::string(c.min, 's'), "k", {c.alg})
            .ok());
  }
  // The longest allowed hash decides.
  EXPECT_FALSE(
      VerificationKey::FromHmacSecret(std::string(40, 's'), "k",
                                      {Algorithm::kHS256, Algorithm::kHS512})
          .ok());
  // Default is HS256, which still needs 32 bytes.
  EXPECT_FALSE(VerificationKey::FromHmacSecret("secret", "", {}).ok());
  EXPECT_FALSE(VerificationKey::FromHmacSecret("", "", {}).ok());
}

TEST(KeysTest, WeakOrUnsupportedPublicKeysAreRefused) {
  auto rsa1024 = VerificationKey::FromPublicKeyPem(
      TestKey::Rsa(1024).PublicPem(), "k", {});
  EXPECT_EQ(rsa1024.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rsa1024.status().message(), HasSubstr("2048"));
  EVP_PKEY* x25519 = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  ASSERT_NE(x25519, nullptr);
  EXPECT_EQ(VerificationKey::FromPublicKey(EvpPkeyPtr(x25519), "k", {})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EVP_PKEY* k256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1");
  ASSERT_NE(k256, nullptr);
  EXPECT_EQ(
      VerificationKey::FromPublicKey(EvpPkeyPtr(k256), "k", {}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(KeysTest, InvalidPemIsRefused) {
  for (const std::string& pem :
       {std::string(""), std::string("not a key"),
        std::string(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        std::string(100 * 1024, 'A')}) {
    EXPECT_EQ(VerificationKey::FromPublicKeyPem(pem, "k", {}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(KeysTest, ConfiguredKidMustBeAcceptable) {
  const std::string secret(32, 's');
  for (const std::string& kid :
       {std::string("a/b"), std::string("a\\b"), std::string(".."),
        std::string("a b"), std::string("k\0", 2), std::string(257, 'k')}) {
    EXPECT_EQ(VerificationKey::FromHmacSecret(secret, kid, {}).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(
      VerificationKey::FromHmacSecret(secret, std::string(256, 'k'), {}).ok());
  EXPECT_TRUE(VerificationKey::FromHmacSecret(secret, "", {}).ok());
}

TEST(KeysTest, DefaultAlgorithmIsFixedPerKeyType) {
  EXPECT_EQ(TestKey::Rsa().VerifierKey()->allowed(),
            AlgorithmSet({Algorithm::kRS256}));
  EXPECT_EQ(TestKey::Ec(KeyType::kEcP384).VerifierKey()->allowed(),
            AlgorithmSet({Algorithm::kES384}));
  EXPECT_EQ(TestKey::Ec(KeyType::kEcP521).VerifierKey()->allowed(),
            AlgorithmSet({Algorithm::kES512}));
  EXPECT_EQ(TestKey::Ed25519().VerifierKey()->allowed(),
            AlgorithmSet({Algorithm::kEdDSA}));
}

TEST(KeysTest, SignatureRefusesAlgorithmOutsideKeySet) {
  const TestKey rsa = TestKey::Rsa();
  auto key = rsa.VerifierKey("k", {Algorithm::kRS256});
  const std::string sig = rsa.Sign(Algorithm::kPS256, "input");
  EXPECT_THAT(VerifyJwsSignature(*key, Algorithm::kPS256, "input", sig),
              RejectedWith(Reason::kAlgNotAllowedForKey));
  EXPECT_TRUE(VerifyJwsSignature(*key, Algorithm::kRS256, "input",
                                 rsa.Sign(Algorithm::kRS256, "input"))
                  .ok());
}

TEST(KeySetTest, RejectsEmptyAndDuplicateKids) {
  EXPECT_EQ(KeySet::Create({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  const TestKey ed = TestKey::Ed25519();
  EXPECT_EQ(KeySet::Create({ed.VerifierKey("a"), ed.VerifierKey("a")})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto set = KeySet::Create(
      {ed.VerifierKey("a"), ed.VerifierKey(), ed.VerifierKey("b")});
  ASSERT_TRUE(set.ok());
  EXPECT_NE((*set)->FindByKid("b"), nullptr);
  EXPECT_EQ((*set)->FindByKid("c"), nullptr);
  EXPECT_EQ((*set)->default_keys().size(), 1u);
  auto other = KeySet::Create({ed.VerifierKey("a")});
  EXPECT_NE((*set)->generation(), (*other)->generation());
}

}  // namespace
}  // namespace bastion::authn::jwt

namespace bastion::authn::jwt {
namespace {

TEST(KeysTest, VerifyTemplatesAreBuiltOnlyForAllowedAlgorithms) {
  auto rsa =
      TestKey::Rsa().VerifierKey("k", {Algorithm::kRS256, Algorithm::kPS384});
  EXPECT_NE(rsa->verify_template(Algorithm::kRS256), nullptr);
  EXPECT_NE(rsa->verify_template(Algorithm::kPS384), nullptr);
  EXPECT_EQ(rsa->verify_template(Algorithm::kRS384), nullptr);
  EXPECT_NE(TestKey::Ec(KeyType::kEcP256)
                .VerifierKey()
                ->verify_template(Algorithm::kES256),
            nullptr);
  auto hmac = TestKey::Hmac(std::string(48, 'h'))
                  .VerifierKey("", {Algorithm::kHS256, Algorithm::kHS384});
  EXPECT_NE(hmac->hmac_template(Algorithm::kHS256), nullptr);
  EXPECT_NE(hmac->hmac_template(Algorithm::kHS384), nullptr);
  EXPECT_EQ(hmac->hmac_template(Algorithm::kHS512), nullptr);
  EXPECT_NE(
      TestKey::Ed25519().VerifierKey()->verify_template(Algorithm::kEdDSA),
      nullptr);
}

TEST(KeysTest, ParseAlgorithmSetFromConfig) {
  auto set = ParseAlgorithmSet("RS256, PS256");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(*set, AlgorithmSet({Algorithm::kRS256, Algorithm::kPS256}));
  for (const char* bad : {"none", "RS256,none", "rs256", "", "RS256,,PS256"}) {
    EXPECT_EQ(ParseAlgorithmSet(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(KeySetTest, LoadKeySetFromSpecs) {
  const TestKey ec = TestKey::Ec(KeyType::kEcP256);
  auto set = LoadKeySet({{"ec", ec.PublicPem(), "", {}},
                         {"", "", std::string(32, 's'), {Algorithm::kHS256}}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->FindByKid("ec")->type(), KeyType::kEcP256);
  EXPECT_EQ((*set)->default_keys().size(), 1u);
  // Neither or both sources, short secret, bad PEM: refused, naming the entry.
  for (const std::vector<KeySpec>& bad :
       {std::vector<KeySpec>{{"k", "", "", {}}},
        std::vector<KeySpec>{{"k", ec.PublicPem(), std::string(32, 's'), {}}},
        std::vector<KeySpec>{{"k", "", "short", {}}},
        std::vector<KeySpec>{{"k", "-----BEGIN PUBLIC KEY-----", "", {}}}}) {
    auto s = LoadKeySet(bad);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.status().message(), HasSubstr("key #0"));
  }
}

}  // namespace
}  // namespace bastion::authn::jwt
