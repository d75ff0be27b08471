// Development tokens: signed with each key type authn accepts, verifiable
// with the public key, carrying the claims authn reads; unusable keys and
// incomplete claims are refused.
#include "tools/cli/dev_token.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::cli {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

PkeyPtr Ed25519Key() {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}
PkeyPtr RsaKey(size_t bits) {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits));
}
PkeyPtr EcKey(const char* curve) {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

std::string PrivatePem(EVP_PKEY* pkey, const EVP_CIPHER* cipher = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  static char passphrase[] = "secret";
  PEM_write_bio_PrivateKey(bio.get(), pkey, cipher, nullptr, 0, nullptr,
                           cipher ? passphrase : nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

DevTokenClaims Claims() {
  DevTokenClaims claims;
  claims.subject = "alice";
  claims.tenant = "acme";
  claims.roles = {"member"};
  claims.scopes = {"sessions:read", "agents:read"};
  claims.key_id = "dev";
  claims.lifetime = absl::Minutes(10);
  return claims;
}

struct Token {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;
  std::string signature;
};

Token Split(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  EXPECT_EQ(parts.size(), 3u);
  Token split;
  std::string header;
  std::string claims;
  EXPECT_TRUE(absl::WebSafeBase64Unescape(parts[0], &header));
  EXPECT_TRUE(absl::WebSafeBase64Unescape(parts[1], &claims));
  EXPECT_TRUE(absl::WebSafeBase64Unescape(parts[2], &split.signature));
  EXPECT_EQ(parts[2].find('='), std::string::npos);  // unpadded base64url
  split.header = nlohmann::json::parse(header);
  split.claims = nlohmann::json::parse(claims);
  split.signing_input = parts[0] + "." + parts[1];
  return split;
}

bool Verifies(EVP_PKEY* pkey, const EVP_MD* digest, const std::string& input,
              const std::string& signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free);
  return EVP_DigestVerifyInit(ctx.get(), nullptr, digest, nullptr, pkey) == 1 &&
         EVP_DigestVerify(
             ctx.get(),
             reinterpret_cast<const unsigned char*>(signature.data()),
             signature.size(),
             reinterpret_cast<const unsigned char*>(input.data()),
             input.size()) == 1;
}

// r || s (32 bytes each) back to the DER form OpenSSL verifies.
std::string EcdsaDer(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr),
                 BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

void ExpectClaims(const Token& token, const std::string& algorithm) {
  EXPECT_EQ(token.header["alg"], algorithm);
  EXPECT_EQ(token.header["kid"], "dev");
  EXPECT_EQ(token.header["typ"], "JWT");
  EXPECT_EQ(token.claims["sub"], "alice");
  EXPECT_EQ(token.claims["tenant_id"], "acme");
  EXPECT_EQ(token.claims["roles"], nlohmann::json({"member"}));
  EXPECT_EQ(token.claims["scopes"],
            nlohmann::json({"sessions:read", "agents:read"}));
  EXPECT_EQ(token.claims["iss"], "https://dev.bastion.local");
  EXPECT_EQ(token.claims["aud"], "bastion");
  EXPECT_EQ(token.claims["iat"], 1700000000);
  EXPECT_EQ(token.claims["nbf"], 1700000000);
  EXPECT_EQ(token.claims["exp"], 1700000600);
  EXPECT_EQ(token.claims["jti"].get<std::string>().size(), 32u);
}

TEST(DevTokenTest, Ed25519KeysSignEdDsa) {
  PkeyPtr key = Ed25519Key();
  absl::StatusOr<std::string> token =
      MintDevToken(PrivatePem(key.get()), false, Claims(), kNow);
  ASSERT_THAT(token, IsOk());
  Token split = Split(*token);
  ExpectClaims(split, "EdDSA");
  EXPECT_TRUE(
      Verifies(key.get(), nullptr, split.signing_input, split.signature));
  EXPECT_FALSE(
      Verifies(key.get(), nullptr, split.signing_input + "x", split.signature));
}

TEST(DevTokenTest, RsaKeysSignRs256) {
  PkeyPtr key = RsaKey(2048);
  absl::StatusOr<std::string> token =
      MintDevToken(PrivatePem(key.get()), false, Claims(), kNow);
  ASSERT_THAT(token, IsOk());
  Token split = Split(*token);
  ExpectClaims(split, "RS256");
  EXPECT_TRUE(
      Verifies(key.get(), EVP_sha256(), split.signing_input, split.signature));
}

TEST(DevTokenTest, P256KeysSignEs256AsRawRAndS) {
  PkeyPtr key = EcKey("P-256");
  absl::StatusOr<std::string> token =
      MintDevToken(PrivatePem(key.get()), false, Claims(), kNow);
  ASSERT_THAT(token, IsOk());
  Token split = Split(*token);
  ExpectClaims(split, "ES256");
  ASSERT_EQ(split.signature.size(), 64u);
  EXPECT_TRUE(Verifies(key.get(), EVP_sha256(), split.signing_input,
                       EcdsaDer(split.signature)));
}

TEST(DevTokenTest, HmacSecretsSignHs256) {
  const std::string secret = "a development secret of enough length";
  absl::StatusOr<std::string> token =
      MintDevToken(secret, true, Claims(), kNow);
  ASSERT_THAT(token, IsOk());
  Token split = Split(*token);
  ExpectClaims(split, "HS256");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(split.signing_input.data()),
       split.signing_input.size(), mac, &length);
  EXPECT_EQ(split.signature, std::string(reinterpret_cast<char*>(mac), length));
}

TEST(DevTokenTest, OptionalClaimsAreLeftOutAndScopesAlwaysPresent) {
  DevTokenClaims claims;
  claims.subject = "bob";
  claims.key_id = "";
  PkeyPtr key = Ed25519Key();
  Token split =
      Split(*MintDevToken(PrivatePem(key.get()), false, claims, kNow));
  EXPECT_FALSE(split.header.contains("kid"));
  EXPECT_FALSE(split.claims.contains("tenant_id"));
  EXPECT_FALSE(split.claims.contains("roles"));
  EXPECT_EQ(split.claims["scopes"], nlohmann::json::array());
  EXPECT_EQ(split.claims["exp"], 1700003600);  // an hour by default
}

TEST(DevTokenTest, ClaimsThatAreNotUtf8AreReplacedNotThrown) {
  DevTokenClaims claims = Claims();
  claims.subject = "bad\xff";
  PkeyPtr key = Ed25519Key();
  absl::StatusOr<std::string> token =
      MintDevToken(PrivatePem(key.get()), false, claims, kNow);
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(Split(*token).claims["sub"], "bad\xef\xbf\xbd");
}

TEST(DevTokenTest, EachTokenHasItsOwnId) {
  PkeyPtr key = Ed25519Key();
  const std::string pem = PrivatePem(key.get());
  EXPECT_NE(Split(*MintDevToken(pem, false, Claims(), kNow)).claims["jti"],
            Split(*MintDevToken(pem, false, Claims(), kNow)).claims["jti"]);
}

TEST(DevTokenTest, RefusesKeysAuthnWouldNotAccept) {
  PkeyPtr p384 = EcKey("P-384");
  PkeyPtr small_rsa = RsaKey(1024);
  PkeyPtr ed25519 = Ed25519Key();
  for (const std::string& pem :
       {PrivatePem(p384.get()), PrivatePem(small_rsa.get()),
        PrivatePem(ed25519.get(), EVP_aes_128_cbc()), std::string("not a key"),
        std::string()}) {
    EXPECT_THAT(MintDevToken(pem, false, Claims(), kNow),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(MintDevToken("", true, Claims(), kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DevTokenTest, RefusesIncompleteClaims) {
  PkeyPtr key = Ed25519Key();
  DevTokenClaims no_subject = Claims();
  no_subject.subject = "";
  EXPECT_THAT(MintDevToken(PrivatePem(key.get()), false, no_subject, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
  DevTokenClaims no_lifetime = Claims();
  no_lifetime.lifetime = absl::ZeroDuration();
  EXPECT_THAT(MintDevToken(PrivatePem(key.get()), false, no_lifetime, kNow),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DevTokenTest, ReadsKeyFilesAsKeygenWritesThem) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  PkeyPtr key = Ed25519Key();
  std::ofstream(dir + "/dev.private.pem") << PrivatePem(key.get());
  std::ofstream(dir + "/k1.secret") << "a development secret\n";
  Token pem =
      Split(*MintDevTokenFromFile(dir + "/dev.private.pem", Claims(), kNow));
  EXPECT_TRUE(Verifies(key.get(), nullptr, pem.signing_input, pem.signature));
  Token secret =
      Split(*MintDevTokenFromFile(dir + "/k1.secret", Claims(), kNow));
  EXPECT_EQ(secret.header["alg"], "HS256");
  EXPECT_THAT(MintDevTokenFromFile(dir + "/missing.pem", Claims(), kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  std::ofstream(dir + "/big.pem") << std::string(70000, 'k');
  EXPECT_THAT(MintDevTokenFromFile(dir + "/big.pem", Claims(), kNow),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DevTokenTest, KeyIdsFollowKeygenFileNames) {
  EXPECT_EQ(KeyIdFromPath(".bastion/keys/dev.private.pem"), "dev");
  EXPECT_EQ(KeyIdFromPath("k1.secret"), "k1");
  EXPECT_EQ(KeyIdFromPath("/keys/other.pem"), "");
  EXPECT_EQ(KeyIdFromPath("/keys/.private.pem"), "");
}

}  // namespace
}  // namespace bastion::cli
