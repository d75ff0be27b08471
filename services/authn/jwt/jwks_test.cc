// JWKS parsing (kty/crv/alg/use must fit) and the rotating JWKS file source.
#include "services/authn/jwt/jwks.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/clock/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/jwks_file_source.h"
#include "services/authn/jwt/jwt_verifier.h"
#include "services/authn/jwt/testing/matchers.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::MintToken;
using ::bastion::authn::jwt::testing::RejectedWith;
using ::bastion::authn::jwt::testing::TestKey;
using ::testing::HasSubstr;

struct Keys {
  TestKey rsa = TestKey::Rsa(2048);
  TestKey rsa2 = TestKey::Rsa(2048);
  TestKey p256 = TestKey::Ec(KeyType::kEcP256);
  TestKey p384 = TestKey::Ec(KeyType::kEcP384);
  TestKey ed = TestKey::Ed25519();
};
const Keys& K() {
  static const Keys* const keys = new Keys();
  return *keys;
}

std::string Jwks(std::initializer_list<std::string> keys) {
  return absl::StrCat(R"({"keys":[)", absl::StrJoin(keys, ","), "]}");
}

absl::Status ParseStatus(const std::string& doc) {
  return ParseJwks(doc).status();
}

TEST(JwksTest, ParsesEveryKeyType) {
  auto set = ParseJwks(
      Jwks({K().rsa.Jwk("r", "PS256", R"("use":"sig")"), K().p256.Jwk("e", ""),
            K().p384.Jwk("e3", "ES384", R"("key_ops":["verify"])"),
            K().ed.Jwk("d", "EdDSA"),
            TestKey::Hmac(std::string(32, 'h')).Jwk("h", "HS256"),
            K().rsa2.Jwk("", "")}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->FindByKid("r")->allowed(),
            AlgorithmSet({Algorithm::kPS256}));
  EXPECT_EQ((*set)->FindByKid("e")->allowed(),
            AlgorithmSet({Algorithm::kES256}));
  EXPECT_EQ((*set)->FindByKid("d")->type(), KeyType::kEd25519);
  EXPECT_EQ((*set)->FindByKid("h")->type(), KeyType::kHmac);
  ASSERT_EQ((*set)->default_keys().size(), 1u);
  EXPECT_EQ((*set)->default_keys()[0]->allowed(),
            AlgorithmSet({Algorithm::kRS256}));
}

TEST(JwksTest, RejectsKtyCrvAlgMismatches) {
  for (const std::string& jwk :
       {K().rsa.Jwk("k", "ES256"), K().rsa.Jwk("k", "HS256"),
        K().rsa.Jwk("k", "EdDSA"), K().p256.Jwk("k", "ES384"),
        K().p256.Jwk("k", "RS256"), K().p256.Jwk("k", "HS256"),
        K().p384.Jwk("k", "ES256"), K().ed.Jwk("k", "ES256"),
        K().ed.Jwk("k", "HS256"), K().rsa.Jwk("k", "none"),
        K().rsa.Jwk("k", "RSA-OAEP"), K().rsa.Jwk("k", "rs256"),
        TestKey::Hmac(std::string(32, 'h')).Jwk("k", "RS256")}) {
    EXPECT_EQ(ParseStatus(Jwks({jwk})).code(),
              absl::StatusCode::kInvalidArgument)
        << jwk;
  }
  // crv that does not fit kty or key material.
  std::string p256_as_p384 = K().p256.Jwk("k", "");
  p256_as_p384.replace(p256_as_p384.find("P-256"), 5, "P-384");
  std::string ed_as_x25519 = K().ed.Jwk("k", "");
  ed_as_x25519.replace(ed_as_x25519.find("Ed25519"), 7, "X25519");
  std::string ec_as_okp = K().p256.Jwk("k", "");
  ec_as_okp.replace(ec_as_okp.find("\"EC\""), 4, "\"OKP\"");
  for (const std::string& jwk :
       {p256_as_p384, ed_as_x25519, ec_as_okp,
        K().rsa.Jwk("k", "", R"("crv":"P-256")"),
        std::string(R"({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"})"),
        std::string(R"({"kty":"DSA","kid":"k"})"),
        std::string(R"({"kid":"k"})"), std::string(R"({"kty":5})")}) {
    EXPECT_EQ(ParseStatus(Jwks({jwk})).code(),
              absl::StatusCode::kInvalidArgument)
        << jwk;
  }
}

TEST(JwksTest, RejectsUseOtherThanSigAndKeyOpsWithoutVerify) {
  EXPECT_TRUE(ParseJwks(Jwks({K().ed.Jwk("k", "", R"("use":"sig")")})).ok());
  for (const char* extra : {R"("use":"enc")", R"("use":"SIG")", R"("use":"")",
                            R"("use":1)", R"("key_ops":["encrypt"])",
                            R"("key_ops":[])", R"("key_ops":"verify")"}) {
    const absl::Status s = ParseStatus(Jwks({K().ed.Jwk("k", "", extra)}));
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << extra;
  }
}

TEST(JwksTest, RejectsSmallRsaPrivateMembersAndBadMaterial) {
  const absl::Status small =
      ParseStatus(Jwks({TestKey::Rsa(1024).Jwk("k", "RS256")}));
  EXPECT_EQ(small.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(small.message(), HasSubstr("2048"));
  EXPECT_EQ(ParseStatus(Jwks({K().p256.Jwk("k", "", R"("d":"AAAA")")})).code(),
            absl::StatusCode::kInvalidArgument);
  // Point not on the curve.
  std::string off_curve = K().p256.Jwk("k", "");
  const size_t y = off_curve.find("\"y\":\"") + 5;
  off_curve[y] = off_curve[y] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ParseStatus(Jwks({off_curve})).code(),
            absl::StatusCode::kInvalidArgument);
  // Short HMAC secret in an oct key.
  EXPECT_EQ(
      ParseStatus(Jwks({TestKey::Hmac("short").Jwk("k", "HS256")})).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(JwksTest, RejectsMalformedDocuments) {
  for (const std::string& doc :
       {std::string(""), std::string("{}"), std::string(R"({"keys":{}})"),
        std::string(R"({"keys":[]})"), std::string(R"({"keys":[1]})"),
        std::string("[]"), Jwks({K().ed.Jwk("a", ""), K().p256.Jwk("a", "")}),
        std::string(R"({"keys":[],"keys":[]})")}) {
    EXPECT_EQ(ParseStatus(doc).code(), absl::StatusCode::kInvalidArgument)
        << doc;
  }
}

// ---------------------------------------------------------------------------

class JwksFileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(
        dir != nullptr ? dir : "/tmp", "/jwks_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(),
        ".json");
  }
  void Write(const std::string& content) {
    // Write-then-rename, as a deployment would.
    const std::string tmp = path_ + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << content;
    ASSERT_EQ(std::rename(tmp.c_str(), path_.c_str()), 0);
  }
  static JwksFileOptions Opts(const std::string& path) {
    JwksFileOptions o;
    o.path = path;
    return o;
  }
  std::unique_ptr<JwksFileSource> Source() {
    auto source = JwksFileSource::Create(
        JwksFileOptions{path_, absl::Milliseconds(500), {}}, &clock_);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? *std::move(source) : nullptr;
  }
  static std::string Token(const TestKey& key, const std::string& kid) {
    return MintToken(absl::StrCat(R"({"alg":"ES256","kid":")", kid, "\"}"),
                     absl::StrCat(R"({"iss":"i","aud":"a","sub":"u","exp":)",
                                  1700000600, "}"),
                     key, Algorithm::kES256);
  }
  std::unique_ptr<JwtVerifier> Verifier(std::shared_ptr<KeySource> keys) {
    JwtVerifierOptions o;
    o.claims.allowed_issuers = {"i"};
    o.claims.audiences = {"a"};
    o.claims.default_tenant = "t";
    return *JwtVerifier::Create(o, std::move(keys), &clock_);
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::string path_;
};

TEST_F(JwksFileSourceTest, MissingOrInvalidFileFailsAtStartup) {
  auto missing = JwksFileSource::Create(Opts(path_ + ".nope"), &clock_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  Write("{not json");
  EXPECT_EQ(JwksFileSource::Create(Opts(path_), &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  Write(R"({"keys":[]})");
  EXPECT_EQ(JwksFileSource::Create(Opts(path_), &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  Write(Jwks({K().ed.Jwk("k", "", R"("use":"enc")")}));
  EXPECT_EQ(JwksFileSource::Create(Opts(path_), &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwksFileSource::Create(Opts("/"), &clock_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(JwksFileSourceTest, RotatesWithoutRestartAndOverlapsOldAndNew) {
  const TestKey& old_key = K().p256;
  const TestKey new_key = TestKey::Ec(KeyType::kEcP256);
  Write(Jwks({old_key.Jwk("old", "ES256")}));
  std::shared_ptr<JwksFileSource> source = Source();
  ASSERT_NE(source, nullptr);
  auto v = Verifier(source);
  EXPECT_TRUE(v->Verify(Token(old_key, "old")).ok());
  EXPECT_THAT(v->Verify(Token(new_key, "new")),
              RejectedWith(Reason::kUnknownKid));

  // Both keys published: invisible until the refresh interval passes.
  Write(Jwks({old_key.Jwk("old", "ES256"), new_key.Jwk("new", "ES256")}));
  clock_.Advance(absl::Milliseconds(499));
  EXPECT_THAT(v->Verify(Token(new_key, "new")),
              RejectedWith(Reason::kUnknownKid));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(v->Verify(Token(new_key, "new")).ok());
  EXPECT_TRUE(v->Verify(Token(old_key, "old")).ok());
  EXPECT_EQ(source->reload_count(), 1);

  // Old key retired.
  Write(Jwks({new_key.Jwk("new", "ES256")}));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(v->Verify(Token(old_key, "old")),
              RejectedWith(Reason::kUnknownKid));
  EXPECT_TRUE(v->Verify(Token(new_key, "new")).ok());
  EXPECT_EQ(source->reload_count(), 2);
}

TEST_F(JwksFileSourceTest, BadUpdateKeepsLastGoodKeys) {
  Write(Jwks({K().p256.Jwk("k", "ES256")}));
  auto source = Source();
  ASSERT_NE(source, nullptr);
  const uint64_t generation = source->Current()->generation();
  Write("{garbage");
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(source->Current()->generation(), generation);
  EXPECT_FALSE(source->last_error().ok());
  ASSERT_EQ(::unlink(path_.c_str()), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_NE(source->Current()->FindByKid("k"), nullptr);
  EXPECT_FALSE(source->last_error().ok());
}

TEST_F(JwksFileSourceTest,
       UnchangedFileIsNotReReadAndUnknownKidsDoNotForceReads) {
  Write(Jwks({K().p256.Jwk("k", "ES256")}));
  std::shared_ptr<JwksFileSource> source = Source();
  ASSERT_NE(source, nullptr);
  auto v = Verifier(source);
  const int64_t stats = source->stat_count(), reads = source->read_count();
  for (int i = 0; i < 5000; ++i) {
    ASSERT_THAT(v->Verify(Token(K().p256, absl::StrCat("flood", i))),
                RejectedWith(Reason::kUnknownKid));
  }
  EXPECT_EQ(source->stat_count(), stats);
  EXPECT_EQ(source->read_count(), reads);
  EXPECT_EQ(v->signature_verifications(), 0u);
  // One stat per interval, and no read while the file is unchanged.
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Seconds(1));
    (void)v->Verify(Token(K().p256, "unknown"));
  }
  EXPECT_EQ(source->stat_count(), stats + 10);
  EXPECT_EQ(source->read_count(), reads);
  EXPECT_EQ(source->reload_count(), 0);
}

TEST_F(JwksFileSourceTest, ConcurrentVerifyDuringRotation) {
  const TestKey& stable = K().p256;
  const TestKey extra = TestKey::Ec(KeyType::kEcP256);
  Write(Jwks({stable.Jwk("stable", "ES256")}));
  std::shared_ptr<JwksFileSource> source = Source();
  ASSERT_NE(source, nullptr);
  auto v = Verifier(source);
  const std::string token = Token(stable, "stable");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        if (!v->Verify(token).ok()) ++failures;
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    // Alternate between one and two keys; "stable" is always present.
    if (i % 2 == 0) {
      Write(Jwks({stable.Jwk("stable", "ES256"), extra.Jwk("extra", "ES256")}));
    } else {
      Write(Jwks({stable.Jwk("stable", "ES256")}));
    }
    clock_.Advance(absl::Seconds(1));
    (void)source->Current();
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(source->reload_count(), 20);
}

}  // namespace
}  // namespace bastion::authn::jwt
