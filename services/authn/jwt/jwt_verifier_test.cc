// End-to-end verifier tests: one or more per THREATS.md "Tokens" bullet
// (except API keys and transport metadata). Every rejection asserts the
// specific Reason, so removing a defence makes its test fail. All tokens are
// minted here with keys generated in-process; time comes from a FakeClock.
#include "services/authn/jwt/jwt_verifier.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/clock/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/base64url.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/reason.h"
#include "services/authn/jwt/testing/matchers.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::Compact;
using ::bastion::authn::jwt::testing::EcOrderBytes;
using ::bastion::authn::jwt::testing::MintToken;
using ::bastion::authn::jwt::testing::RejectedWith;
using ::bastion::authn::jwt::testing::SigningInput;
using ::bastion::authn::jwt::testing::TestKey;
using ::testing::ElementsAre;

constexpr int64_t kNow = 1700000000;
constexpr char kIssuer[] = "https://issuer.test";

struct Keys {
  TestKey rsa = TestKey::Rsa(2048);
  TestKey p256 = TestKey::Ec(KeyType::kEcP256);
  TestKey p384 = TestKey::Ec(KeyType::kEcP384);
  TestKey p521 = TestKey::Ec(KeyType::kEcP521);
  TestKey ed = TestKey::Ed25519();
  TestKey hmac = TestKey::Hmac(std::string(64, 'k'));
};
const Keys& K() {
  static const Keys* const keys = new Keys();
  return *keys;
}

// Ordered claims with raw JSON values; Set replaces or appends.
class Claims {
 public:
  Claims() {
    Set("iss", absl::StrCat("\"", kIssuer, "\""));
    Set("aud", "\"bastion\"");
    Set("sub", "\"user-1\"");
    Set("exp", absl::StrCat(kNow + 600));
    Set("iat", absl::StrCat(kNow - 10));
  }
  Claims& Set(const std::string& name, const std::string& raw) {
    for (auto& m : members_) {
      if (m.first == name) {
        m.second = raw;
        return *this;
      }
    }
    members_.emplace_back(name, raw);
    return *this;
  }
  Claims& Remove(const std::string& name) {
    for (auto it = members_.begin(); it != members_.end(); ++it) {
      if (it->first == name) {
        members_.erase(it);
        break;
      }
    }
    return *this;
  }
  std::string Json() const {
    std::string out = "{";
    for (const auto& m : members_) {
      if (out.size() > 1) out += ",";
      absl::StrAppend(&out, "\"", m.first, "\":", m.second);
    }
    return out + "}";
  }

 private:
  std::vector<std::pair<std::string, std::string>> members_;
};

std::string Header(absl::string_view alg, absl::string_view kid,
                   absl::string_view extra = "") {
  std::string h = absl::StrCat(R"({"alg":")", alg, "\"");
  if (!kid.empty()) absl::StrAppend(&h, R"(,"kid":")", kid, "\"");
  if (!extra.empty()) absl::StrAppend(&h, ",", extra);
  return h + "}";
}

class JwtVerifierTest : public ::testing::Test {
 protected:
  static JwtVerifierOptions DefaultOptions() {
    JwtVerifierOptions o;
    o.claims.allowed_issuers = {kIssuer};
    o.claims.audiences = {"bastion"};
    o.claims.default_tenant = "tenant-default";
    return o;
  }

  // rsa (RS256), ec (ES256), ed (EdDSA), hs (HS256), each with a kid.
  static std::vector<std::shared_ptr<const VerificationKey>> StandardKeys() {
    return {K().rsa.VerifierKey("rsa"), K().p256.VerifierKey("ec"),
            K().ed.VerifierKey("ed"), K().hmac.VerifierKey("hs")};
  }

  std::unique_ptr<JwtVerifier> Make(
      std::vector<std::shared_ptr<const VerificationKey>> keys,
      JwtVerifierOptions options = DefaultOptions()) {
    auto set = KeySet::Create(std::move(keys));
    EXPECT_TRUE(set.ok()) << set.status();
    auto v = JwtVerifier::Create(
        std::move(options), std::make_shared<StaticKeySource>(*set), &clock_);
    EXPECT_TRUE(v.ok()) << v.status();
    return *std::move(v);
  }
  std::unique_ptr<JwtVerifier> Standard(
      JwtVerifierOptions options = DefaultOptions()) {
    return Make(StandardKeys(), std::move(options));
  }

  // A valid RS256 token with `claims`.
  static std::string Rs256(const Claims& claims,
                           absl::string_view extra_header = "") {
    return MintToken(Header("RS256", "rsa", extra_header), claims.Json(),
                     K().rsa, Algorithm::kRS256);
  }
  static std::string Es256(const Claims& claims) {
    return MintToken(Header("ES256", "ec"), claims.Json(), K().p256,
                     Algorithm::kES256);
  }

  FakeClock clock_{absl::FromUnixSeconds(kNow)};
};

// ---------------------------------------------------------------------------
// Every supported algorithm verifies when the key allows it.

struct AlgCase {
  Algorithm alg;
  const TestKey& (*key)();
};

// gtest would otherwise print the struct's raw bytes (including padding).
void PrintTo(const AlgCase& c, std::ostream* os) {
  *os << AlgorithmName(c.alg);
}

class ValidAlgorithmTest : public JwtVerifierTest,
                           public ::testing::WithParamInterface<AlgCase> {};

TEST_P(ValidAlgorithmTest, VerifiesAndReportsIdentity) {
  const AlgCase& c = GetParam();
  const TestKey& key = c.key();
  auto v = Make({key.VerifierKey("k1", {c.alg})});
  Claims claims;
  claims.Set("tenant_id", "\"acme\"")
      .Set("jti", "\"id-7\"")
      .Set("scopes", R"(["read","write"])")
      .Set("roles", R"(["admin"])")
      .Set("aud", R"(["other","bastion"])");
  const std::string token =
      MintToken(Header(AlgorithmName(c.alg), "k1"), claims.Json(), key, c.alg);
  absl::StatusOr<VerifiedToken> t = v->Verify(token);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->subject, "user-1");
  EXPECT_EQ(t->tenant_id, "acme");
  EXPECT_EQ(t->issuer, kIssuer);
  EXPECT_EQ(t->token_id, "id-7");
  EXPECT_THAT(t->scopes, ElementsAre("read", "write"));
  EXPECT_THAT(t->roles, ElementsAre("admin"));
  EXPECT_THAT(t->audiences, ElementsAre("other", "bastion"));
  EXPECT_EQ(t->expires_at_unix, kNow + 600);
  EXPECT_EQ(t->accepted_until_unix, kNow + 600 + 60);  // exp + default leeway
  EXPECT_EQ(t->issued_at_unix, kNow - 10);
  EXPECT_EQ(t->algorithm, AlgorithmName(c.alg));
  EXPECT_EQ(t->key_id, "k1");
  EXPECT_EQ(v->signature_verifications(), 1u);

  // A flipped bit in the signed input breaks it.
  std::string tampered = token;
  tampered[tampered.find('.') + 3] ^= 0x01;
  EXPECT_THAT(v->Verify(tampered),
              ::testing::AnyOf(RejectedWith(Reason::kBadSignature),
                               RejectedWith(Reason::kBadBase64)));
}

const TestKey& Rsa() { return K().rsa; }
const TestKey& P256() { return K().p256; }
const TestKey& P384() { return K().p384; }
const TestKey& P521() { return K().p521; }
const TestKey& Ed() { return K().ed; }
const TestKey& Hmac() { return K().hmac; }

INSTANTIATE_TEST_SUITE_P(
    AllAlgorithms, ValidAlgorithmTest,
    ::testing::Values(
        AlgCase{Algorithm::kHS256, Hmac}, AlgCase{Algorithm::kHS384, Hmac},
        AlgCase{Algorithm::kHS512, Hmac}, AlgCase{Algorithm::kRS256, Rsa},
        AlgCase{Algorithm::kRS384, Rsa}, AlgCase{Algorithm::kRS512, Rsa},
        AlgCase{Algorithm::kPS256, Rsa}, AlgCase{Algorithm::kPS384, Rsa},
        AlgCase{Algorithm::kPS512, Rsa}, AlgCase{Algorithm::kES256, P256},
        AlgCase{Algorithm::kES384, P384}, AlgCase{Algorithm::kES512, P521},
        AlgCase{Algorithm::kEdDSA, Ed}),
    [](const ::testing::TestParamInfo<AlgCase>& info) {
      return std::string(AlgorithmName(info.param.alg));
    });

TEST_F(JwtVerifierTest, KidlessTokenUsesDefaultKeysInOrder) {
  // Rotation without kids: old and new default keys both verify.
  const TestKey old_key = TestKey::Ec(KeyType::kEcP256);
  auto v = Make({old_key.VerifierKey(), K().p256.VerifierKey()});
  for (const TestKey* key : {&old_key, &K().p256}) {
    EXPECT_TRUE(v->Verify(MintToken(Header("ES256", ""), Claims().Json(), *key,
                                    Algorithm::kES256))
                    .ok());
  }
  auto no_default = Standard();
  EXPECT_THAT(no_default->Verify(MintToken(Header("ES256", ""), Claims().Json(),
                                           K().p256, Algorithm::kES256)),
              RejectedWith(Reason::kNoDefaultKey));
}

TEST_F(JwtVerifierTest, ConcurrentVerifyIsSafe) {
  // Many threads share the keys' pre-initialised verify contexts.
  auto v = Standard();
  const std::vector<std::string> tokens = {
      Rs256(Claims()), Es256(Claims()),
      MintToken(Header("EdDSA", "ed"), Claims().Json(), K().ed,
                Algorithm::kEdDSA),
      MintToken(Header("HS256", "hs"), Claims().Json(), K().hmac,
                Algorithm::kHS256)};
  std::string bad = tokens[0];
  bad[bad.size() - 10] = bad[bad.size() - 10] == 'A' ? 'B' : 'A';
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        for (const std::string& token : tokens) {
          if (!v->Verify(token).ok()) ++failures;
        }
        if (ReasonOf(v->Verify(bad).status()) != Reason::kBadSignature) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------
// alg: none / missing / empty / not a string.

TEST_F(JwtVerifierTest, RejectsAlgNoneInEveryCasingWithSignature) {
  auto v = Standard();
  for (const char* none : {"none", "None", "NONE", "nOnE", "NoNe"}) {
    for (const char* kid : {"", "rsa", "hs"}) {
      const std::string input =
          SigningInput(Header(none, kid), Claims().Json());
      // With an arbitrary signature and with an HMAC over the input.
      EXPECT_THAT(v->Verify(input + ".c2lnbmF0dXJl"),
                  RejectedWith(Reason::kAlgNone))
          << none << " " << kid;
      EXPECT_THAT(
          v->Verify(input + "." +
                    Base64UrlEncode(K().hmac.Sign(Algorithm::kHS256, input))),
          RejectedWith(Reason::kAlgNone));
    }
  }
  EXPECT_EQ(v->signature_verifications(), 0u);
}

TEST_F(JwtVerifierTest, RejectsAlgNoneWithoutSignature) {
  auto v = Standard();
  for (const char* none : {"none", "None", "NONE"}) {
    const std::string input = SigningInput(Header(none, ""), Claims().Json());
    EXPECT_THAT(v->Verify(input + "."), RejectedWith(Reason::kEmptySegment));
    EXPECT_THAT(v->Verify(input), RejectedWith(Reason::kSegmentCount));
  }
}

TEST_F(JwtVerifierTest, RejectsMissingEmptyOrNonStringAlg) {
  auto v = Standard();
  auto token = [](const std::string& header) {
    return MintToken(header, Claims().Json(), K().rsa, Algorithm::kRS256);
  };
  EXPECT_THAT(v->Verify(token(R"({"kid":"rsa"})")),
              RejectedWith(Reason::kAlgMissing));
  EXPECT_THAT(v->Verify(token(R"({"alg":"","kid":"rsa"})")),
              RejectedWith(Reason::kAlgMissing));
  for (const char* alg :
       {"null", "256", "true", R"(["RS256"])", R"({"name":"RS256"})"}) {
    EXPECT_THAT(
        v->Verify(token(absl::StrCat(R"({"alg":)", alg, R"(,"kid":"rsa"})"))),
        RejectedWith(Reason::kAlgNotString))
        << alg;
  }
  for (const char* alg :
       {"rs256", "RS256 ", "HS1", "ES256K", "RSA-OAEP", "Ed25519"}) {
    EXPECT_THAT(v->Verify(token(Header(alg, "rsa"))),
                RejectedWith(Reason::kAlgUnsupported))
        << alg;
  }
}

// ---------------------------------------------------------------------------
// Algorithm confusion.

class ConfusionTest : public JwtVerifierTest {
 protected:
  // HS256 over the standard claims with `secret` as the HMAC key.
  static std::string Hs256With(absl::string_view kid,
                               const std::string& secret) {
    return MintToken(Header("HS256", kid), Claims().Json(),
                     TestKey::Hmac(secret), Algorithm::kHS256);
  }
};

TEST_F(ConfusionTest, Hs256SignedWithPublicKeyBytesIsRejected) {
  struct Case {
    const TestKey* key;
    const char* kid;
    const char* alg;
  };
  for (const Case& c :
       {Case{&K().rsa, "rsa", "RS256"}, Case{&K().p256, "ec", "ES256"},
        Case{&K().ed, "ed", "EdDSA"}}) {
    // Both as a kid-selected key and as the default (kid-less) key.
    auto by_kid = Standard();
    auto by_default = Make({c.key->VerifierKey()});
    for (const std::string& secret :
         {c.key->PublicPem(), c.key->PublicDer(), c.key->Jwk("", ""),
          c.key->Jwk(c.kid, c.alg)}) {
      EXPECT_THAT(by_kid->Verify(Hs256With(c.kid, secret)),
                  RejectedWith(Reason::kAlgNotAllowedForKey))
          << c.kid;
      EXPECT_THAT(by_default->Verify(Hs256With("", secret)),
                  RejectedWith(Reason::kAlgNotAllowedForKey))
          << c.kid;
    }
    EXPECT_EQ(by_kid->signature_verifications(), 0u);
  }
}

TEST_F(ConfusionTest, SameFamilyAlgorithmNotAllowedForKeyIsRejected) {
  auto v = Standard();  // "rsa" pinned to RS256, "ec" to ES256.
  for (Algorithm alg : {Algorithm::kRS384, Algorithm::kRS512, Algorithm::kPS256,
                        Algorithm::kPS512}) {
    // Correctly signed by the right private key, but not an allowed alg.
    EXPECT_THAT(v->Verify(MintToken(Header(AlgorithmName(alg), "rsa"),
                                    Claims().Json(), K().rsa, alg)),
                RejectedWith(Reason::kAlgNotAllowedForKey))
        << AlgorithmName(alg);
  }
  EXPECT_THAT(v->Verify(MintToken(Header("HS384", "hs"), Claims().Json(),
                                  K().hmac, Algorithm::kHS384)),
              RejectedWith(Reason::kAlgNotAllowedForKey));
  EXPECT_THAT(v->Verify(MintToken(Header("ES384", "ec"), Claims().Json(),
                                  K().p384, Algorithm::kES384)),
              RejectedWith(Reason::kAlgNotAllowedForKey));
  EXPECT_EQ(v->signature_verifications(), 0u);

  // A family allowed by config: RS256 + PS256 both fine, RS384 still not.
  auto family = Make(
      {K().rsa.VerifierKey("rsa", {Algorithm::kRS256, Algorithm::kPS256})});
  EXPECT_TRUE(family
                  ->Verify(MintToken(Header("PS256", "rsa"), Claims().Json(),
                                     K().rsa, Algorithm::kPS256))
                  .ok());
  EXPECT_THAT(family->Verify(MintToken(Header("RS384", "rsa"), Claims().Json(),
                                       K().rsa, Algorithm::kRS384)),
              RejectedWith(Reason::kAlgNotAllowedForKey));
}

TEST_F(ConfusionTest, KeyLoadRefusesAlgorithmsThatDoNotFitTheKey) {
  EXPECT_FALSE(VerificationKey::FromPublicKeyPem(K().p256.PublicPem(), "k",
                                                 {Algorithm::kES384})
                   .ok());
  EXPECT_FALSE(VerificationKey::FromPublicKeyPem(K().rsa.PublicPem(), "k",
                                                 {Algorithm::kHS256})
                   .ok());
  EXPECT_FALSE(VerificationKey::FromPublicKeyPem(K().ed.PublicPem(), "k",
                                                 {Algorithm::kES256})
                   .ok());
  EXPECT_FALSE(VerificationKey::FromHmacSecret(std::string(64, 's'), "k",
                                               {Algorithm::kRS256})
                   .ok());
}

// ---------------------------------------------------------------------------
// Header-supplied keys, crit, JWE, nested JWT, typ.

TEST_F(JwtVerifierTest, RejectsEmbeddedOrRemoteKeys) {
  auto v = Standard();
  const std::string jwk = absl::StrCat(R"("jwk":)", K().rsa.Jwk("", ""));
  for (const std::string& extra :
       {jwk, std::string(R"("jku":"https://evil.test/jwks.json")"),
        std::string(R"("x5u":"https://evil.test/cert.pem")"),
        std::string(R"("x5c":["MIIBszCCAVmgAwIBAgIUQ"])")}) {
    // Validly signed by the configured key: only the header rule rejects.
    EXPECT_THAT(v->Verify(Rs256(Claims(), extra)),
                RejectedWith(Reason::kEmbeddedKey))
        << extra;
  }
  // The attacker's own key in "jwk", no kid: still never used.
  TestKey attacker = TestKey::Rsa(2048);
  EXPECT_THAT(
      v->Verify(MintToken(
          Header("RS256", "", absl::StrCat(R"("jwk":)", attacker.Jwk("", ""))),
          Claims().Json(), attacker, Algorithm::kRS256)),
      RejectedWith(Reason::kEmbeddedKey));
}

TEST_F(JwtVerifierTest, RejectsAnyCrit) {
  auto v = Standard();
  for (const char* extra :
       {R"("crit":["b64"],"b64":false)", R"("crit":["b64"],"b64":true)",
        R"("crit":["exp"],"exp":1)", R"("crit":[])", R"("crit":"b64")"}) {
    EXPECT_THAT(v->Verify(Rs256(Claims(), extra)),
                RejectedWith(Reason::kCritUnsupported))
        << extra;
  }
}

TEST_F(JwtVerifierTest, RejectsJwe) {
  auto v = Standard();
  const std::string jwe_header =
      Base64UrlEncode(R"({"alg":"RSA-OAEP","enc":"A256GCM"})");
  EXPECT_THAT(v->Verify(jwe_header + ".ZW5ja2V5.aXY.Y2lwaGVy.dGFn"),
              RejectedWith(Reason::kJwe));
  // A JWE-style header squeezed into three segments.
  EXPECT_THAT(v->Verify(Rs256(Claims(), R"("enc":"A256GCM")")),
              RejectedWith(Reason::kJwe));
  EXPECT_THAT(v->Verify(Rs256(Claims(), R"("zip":"DEF")")),
              RejectedWith(Reason::kJwe));
}

TEST_F(JwtVerifierTest, RejectsNestedJwt) {
  auto v = Standard();
  const std::string inner = Rs256(Claims());
  // cty: JWT in the outer header (any casing).
  for (const char* cty : {R"("cty":"JWT")", R"("cty":"jwt")"}) {
    EXPECT_THAT(v->Verify(Rs256(Claims(), cty)),
                RejectedWith(Reason::kNestedJwt));
  }
  // Payload is a JWT, raw and as a JSON string.
  EXPECT_THAT(v->Verify(MintToken(Header("RS256", "rsa"), inner, K().rsa,
                                  Algorithm::kRS256)),
              RejectedWith(Reason::kNestedJwt));
  EXPECT_THAT(v->Verify(MintToken(Header("RS256", "rsa"), "\"" + inner + "\"",
                                  K().rsa, Algorithm::kRS256)),
              RejectedWith(Reason::kNestedJwt));
  EXPECT_THAT(v->Verify(Rs256(Claims(), R"("cty":"application/json")")),
              RejectedWith(Reason::kBadHeader));
}

TEST_F(JwtVerifierTest, RequiredTypMustMatch) {
  JwtVerifierOptions options = DefaultOptions();
  options.header.required_typ = "at+jwt";
  auto v = Standard(options);
  for (const char* ok : {R"("typ":"at+jwt")", R"("typ":"AT+JWT")",
                         R"("typ":"application/at+jwt")"}) {
    EXPECT_TRUE(v->Verify(Rs256(Claims(), ok)).ok()) << ok;
  }
  for (const char* bad :
       {R"("typ":"JWT")", R"("typ":"at+jwt ")", R"("typ":"")", R"("typ":1)"}) {
    EXPECT_THAT(v->Verify(Rs256(Claims(), bad)),
                RejectedWith(Reason::kTypMismatch))
        << bad;
  }
  EXPECT_THAT(v->Verify(Rs256(Claims())), RejectedWith(Reason::kTypMismatch));
  // Not required: any string typ is fine, a non-string is not.
  auto lax = Standard();
  EXPECT_TRUE(lax->Verify(Rs256(Claims(), R"("typ":"JWT")")).ok());
  EXPECT_THAT(lax->Verify(Rs256(Claims(), R"("typ":5)")),
              RejectedWith(Reason::kTypMismatch));
}

// ---------------------------------------------------------------------------
// kid abuse.

TEST_F(JwtVerifierTest, RejectsMalformedKidBeforeLookup) {
  JwtVerifierOptions options = DefaultOptions();
  options.max_token_bytes = 64 * 1024;
  auto v = Standard(options);
  for (const std::string& kid :
       {std::string("../../etc/passwd"), std::string("..\\\\keys"),
        std::string("keys/rsa"), std::string("rsa\\u0000"),
        std::string("r..sa"), std::string("rsa key"), std::string("rs\\na"),
        std::string("caf\\u00e9"), std::string(257, 'a'),
        std::string(10 * 1024, 'A')}) {
    const std::string header =
        absl::StrCat(R"({"alg":"RS256","kid":")", kid, "\"}");
    EXPECT_THAT(v->Verify(MintToken(header, Claims().Json(), K().rsa,
                                    Algorithm::kRS256)),
                RejectedWith(Reason::kBadKid))
        << kid.substr(0, 40);
  }
  for (const char* kid :
       {R"("kid":"")", R"("kid":5)", R"("kid":null)", R"("kid":["rsa"])"}) {
    EXPECT_THAT(
        v->Verify(MintToken(absl::StrCat(R"({"alg":"RS256",)", kid, "}"),
                            Claims().Json(), K().rsa, Algorithm::kRS256)),
        RejectedWith(Reason::kBadKid))
        << kid;
  }
  EXPECT_EQ(v->signature_verifications(), 0u);
  // A 10 KB kid under the default cap never gets parsed at all.
  auto capped = Standard();
  EXPECT_THAT(
      capped->Verify(MintToken(absl::StrCat(R"({"alg":"RS256","kid":")",
                                            std::string(10 * 1024, 'A'), "\"}"),
                               Claims().Json(), K().rsa, Algorithm::kRS256)),
      RejectedWith(Reason::kTokenTooLarge));
}

TEST_F(JwtVerifierTest, SqlMetacharacterKidIsJustUnknown) {
  auto v = Standard();
  for (const char* kid : {"rsa'--", "x';DROP_TABLE_keys;--", "1'OR'1'='1",
                          "%27%3B", "rsa\\\"", "*"}) {
    EXPECT_THAT(v->Verify(MintToken(Header("RS256", kid), Claims().Json(),
                                    K().rsa, Algorithm::kRS256)),
                RejectedWith(Reason::kUnknownKid))
        << kid;
  }
  EXPECT_EQ(v->signature_verifications(), 0u);
}

TEST_F(JwtVerifierTest, UnknownKidFloodDoesNoCrypto) {
  auto v = Standard();
  const std::string payload = Base64UrlEncode(Claims().Json());
  const std::string sig(342, 'A');
  for (int i = 0; i < 2000; ++i) {
    const std::string token =
        absl::StrCat(Base64UrlEncode(Header("RS256", absl::StrCat("k", i))),
                     ".", payload, ".", sig);
    ASSERT_THAT(v->Verify(token), RejectedWith(Reason::kUnknownKid));
  }
  EXPECT_EQ(v->signature_verifications(), 0u);
}

// A source that learns the "late" key only when asked about an unknown kid
// (as a JWKS URL does after a refetch), and counts the questions.
class LearningKeySource final : public KeySource {
 public:
  LearningKeySource(std::shared_ptr<const KeySet> before,
                    std::shared_ptr<const KeySet> after)
      : before_(std::move(before)), after_(std::move(after)) {}
  std::shared_ptr<const KeySet> Current() const override {
    return learned_.load() ? after_ : before_;
  }
  std::shared_ptr<const KeySet> RefreshForUnknownKid(
      uint64_t seen_generation) const override {
    ++asked_;
    if (!can_learn_) return nullptr;
    learned_ = true;
    return seen_generation == after_->generation() ? nullptr : after_;
  }
  bool can_learn_ = true;
  mutable std::atomic<int> asked_{0};

 private:
  const std::shared_ptr<const KeySet> before_, after_;
  mutable std::atomic<bool> learned_{false};
};

TEST_F(JwtVerifierTest, UnknownKidAsksTheSourceOnceAndUsesANewerSet) {
  auto before = KeySet::Create({K().rsa.VerifierKey("rsa")});
  auto after =
      KeySet::Create({K().rsa.VerifierKey("rsa"), K().ed.VerifierKey("late")});
  ASSERT_TRUE(before.ok() && after.ok());
  auto source = std::make_shared<LearningKeySource>(*before, *after);
  auto v = JwtVerifier::Create(DefaultOptions(), source, &clock_);
  ASSERT_TRUE(v.ok());
  // Known kids and other rejections never ask.
  EXPECT_TRUE((*v)->Verify(Rs256(Claims())).ok());
  EXPECT_THAT((*v)->Verify(Rs256(Claims().Set("iss", "\"https://x\""))),
              RejectedWith(Reason::kIssNotAllowed));
  EXPECT_EQ(source->asked_.load(), 0);

  const std::string late = MintToken(Header("EdDSA", "late"), Claims().Json(),
                                     K().ed, Algorithm::kEdDSA);
  EXPECT_TRUE((*v)->Verify(late).ok());
  EXPECT_EQ(source->asked_.load(), 1);
  // A kid still unknown in the newer set: asked once, then refused.
  EXPECT_THAT((*v)->Verify(MintToken(Header("EdDSA", "never"), Claims().Json(),
                                     K().ed, Algorithm::kEdDSA)),
              RejectedWith(Reason::kUnknownKid));
  EXPECT_EQ(source->asked_.load(), 2);
}

TEST_F(JwtVerifierTest, UnknownKidStaysRefusedWhenTheSourceLearnsNothing) {
  auto before = KeySet::Create({K().rsa.VerifierKey("rsa")});
  auto after = KeySet::Create({K().ed.VerifierKey("late")});
  ASSERT_TRUE(before.ok() && after.ok());
  auto source = std::make_shared<LearningKeySource>(*before, *after);
  source->can_learn_ = false;
  auto v = JwtVerifier::Create(DefaultOptions(), source, &clock_);
  ASSERT_TRUE(v.ok());
  EXPECT_THAT((*v)->Verify(MintToken(Header("EdDSA", "late"), Claims().Json(),
                                     K().ed, Algorithm::kEdDSA)),
              RejectedWith(Reason::kUnknownKid));
  EXPECT_EQ(source->asked_.load(), 1);
  EXPECT_EQ((*v)->signature_verifications(), 0u);
}

// ---------------------------------------------------------------------------
// ECDSA and RSA signature shapes.

TEST_F(JwtVerifierTest, RejectsOutOfRangeEcdsaScalars) {
  struct Curve {
    const TestKey* key;
    Algorithm alg;
    size_t n;
  };
  for (const Curve& c : {Curve{&K().p256, Algorithm::kES256, 32},
                         Curve{&K().p384, Algorithm::kES384, 48},
                         Curve{&K().p521, Algorithm::kES512, 66}}) {
    auto v = Make({c.key->VerifierKey("ec")});
    const std::string header = Header(AlgorithmName(c.alg), "ec");
    const std::string valid =
        c.key->Sign(c.alg, SigningInput(header, Claims().Json()));
    const std::string r = valid.substr(0, c.n), s = valid.substr(c.n);
    const std::string zero(c.n, '\0'), order = EcOrderBytes(c.key->type());
    const std::string ones(c.n, '\xff');
    for (const std::string& sig : {zero + zero, zero + s, r + zero, order + s,
                                   r + order, ones + s, r + ones}) {
      EXPECT_THAT(v->Verify(Compact(header, Claims().Json(), sig)),
                  RejectedWith(Reason::kBadEcdsaScalar))
          << AlgorithmName(c.alg);
    }
    EXPECT_TRUE(v->Verify(Compact(header, Claims().Json(), valid)).ok());
  }
}

TEST_F(JwtVerifierTest, RejectsDerOrWrongLengthEcdsaSignatures) {
  auto v = Make({K().p256.VerifierKey("ec")});
  const std::string header = Header("ES256", "ec");
  const std::string input = SigningInput(header, Claims().Json());
  const std::string der = K().p256.SignEcdsaDer(Algorithm::kES256, input);
  EXPECT_THAT(v->Verify(input + "." + Base64UrlEncode(der)),
              RejectedWith(Reason::kBadSignatureLength));
  const std::string raw = K().p256.Sign(Algorithm::kES256, input);
  for (const std::string& sig :
       {raw.substr(0, 63), raw + std::string(1, '\0'),
        std::string(1, '\0') + raw, raw.substr(0, 32)}) {
    EXPECT_THAT(v->Verify(input + "." + Base64UrlEncode(sig)),
                RejectedWith(Reason::kBadSignatureLength));
  }
  // A P-384-sized signature against a P-256 key.
  EXPECT_THAT(v->Verify(input + "." + Base64UrlEncode(raw + raw.substr(0, 32))),
              RejectedWith(Reason::kBadSignatureLength));
}

TEST_F(JwtVerifierTest, RejectsRsaSignatureNotModulusLength) {
  auto v = Standard();
  const std::string input =
      SigningInput(Header("RS256", "rsa"), Claims().Json());
  const std::string sig = K().rsa.Sign(Algorithm::kRS256, input);
  ASSERT_EQ(sig.size(), 256u);
  EXPECT_TRUE(v->Verify(input + "." + Base64UrlEncode(sig)).ok());
  // Leading zero added (numerically equal) or removed, truncated, extended.
  for (const std::string& bad :
       {std::string(1, '\0') + sig, sig.substr(1), sig.substr(0, 255),
        sig + std::string(1, '\0'), sig + sig}) {
    EXPECT_THAT(v->Verify(input + "." + Base64UrlEncode(bad)),
                RejectedWith(Reason::kBadSignatureLength));
  }
  // Right length but >= modulus, or all zero: OpenSSL says 0 or -1, not 1.
  EXPECT_THAT(
      v->Verify(input + "." + Base64UrlEncode(std::string(256, '\xff'))),
      RejectedWith(Reason::kBadSignature));
  EXPECT_THAT(v->Verify(input + "." + Base64UrlEncode(std::string(256, '\0'))),
              RejectedWith(Reason::kBadSignature));
  std::string flipped = sig;
  flipped[100] ^= 0x40;
  EXPECT_THAT(v->Verify(input + "." + Base64UrlEncode(flipped)),
              RejectedWith(Reason::kBadSignature));
}

TEST_F(JwtVerifierTest, RejectsWrongLengthHmacAndEd25519Signatures) {
  auto v = Standard();
  const std::string hs_input =
      SigningInput(Header("HS256", "hs"), Claims().Json());
  const std::string tag = K().hmac.Sign(Algorithm::kHS256, hs_input);
  EXPECT_THAT(v->Verify(hs_input + "." + Base64UrlEncode(tag.substr(0, 16))),
              RejectedWith(Reason::kBadSignatureLength));
  std::string bad_tag = tag;
  bad_tag[31] ^= 1;
  EXPECT_THAT(v->Verify(hs_input + "." + Base64UrlEncode(bad_tag)),
              RejectedWith(Reason::kBadSignature));
  const std::string ed_input =
      SigningInput(Header("EdDSA", "ed"), Claims().Json());
  const std::string ed_sig = K().ed.Sign(Algorithm::kEdDSA, ed_input);
  EXPECT_THAT(v->Verify(ed_input + "." + Base64UrlEncode(ed_sig + "x")),
              RejectedWith(Reason::kBadSignatureLength));
}

// ---------------------------------------------------------------------------
// Structure.

TEST_F(JwtVerifierTest, RejectsWrongSegmentCounts) {
  auto v = Standard();
  const std::string token = Rs256(Claims());
  const std::string h = token.substr(0, token.find('.'));
  EXPECT_THAT(v->Verify(h), RejectedWith(Reason::kSegmentCount));
  EXPECT_THAT(v->Verify(h + ".x"), RejectedWith(Reason::kSegmentCount));
  EXPECT_THAT(v->Verify(token + ".x"), RejectedWith(Reason::kSegmentCount));
  EXPECT_THAT(v->Verify(token + "."), RejectedWith(Reason::kSegmentCount));
  EXPECT_THAT(v->Verify(token + ".x.y.z"), RejectedWith(Reason::kSegmentCount));
  EXPECT_THAT(v->Verify("..."), RejectedWith(Reason::kSegmentCount));
  EXPECT_THAT(v->Verify(""), RejectedWith(Reason::kTokenEmpty));
}

TEST_F(JwtVerifierTest, RejectsEmptySegments) {
  auto v = Standard();
  const std::string token = Rs256(Claims());
  const size_t d1 = token.find('.'), d2 = token.rfind('.');
  const std::string h = token.substr(0, d1),
                    p = token.substr(d1 + 1, d2 - d1 - 1),
                    s = token.substr(d2 + 1);
  EXPECT_THAT(v->Verify("." + p + "." + s),
              RejectedWith(Reason::kEmptySegment));
  EXPECT_THAT(v->Verify(h + ".." + s), RejectedWith(Reason::kEmptySegment));
  EXPECT_THAT(v->Verify(h + "." + p + "."),
              RejectedWith(Reason::kEmptySegment));
  EXPECT_THAT(v->Verify(".."), RejectedWith(Reason::kEmptySegment));
}

TEST_F(JwtVerifierTest, RejectsNonBase64UrlCharactersPaddingAndWhitespace) {
  auto v = Standard();
  const std::string token = Rs256(Claims());
  ASSERT_TRUE(v->Verify(token).ok());
  const size_t d1 = token.find('.'), d2 = token.rfind('.');
  // Insert at the start of each segment.
  for (size_t pos : {size_t{0}, d1 + 1, d2 + 1, token.size()}) {
    for (const char* junk : {"+", "/", "=", "==", " ", "\t", "\n", "\r\n", "%",
                             "\xef\xbb\xbf", "\x00"}) {
      std::string bad = token;
      bad.insert(pos, std::string(junk, junk[0] == '\0' ? 1 : strlen(junk)));
      EXPECT_THAT(v->Verify(bad), RejectedWith(Reason::kBadBase64))
          << pos << " " << static_cast<int>(junk[0]);
    }
  }
  EXPECT_THAT(v->Verify(" " + token), RejectedWith(Reason::kBadBase64));
  EXPECT_THAT(v->Verify("Bearer " + token), RejectedWith(Reason::kBadBase64));
}

TEST_F(JwtVerifierTest, RejectsNonZeroTrailingBits) {
  // Ed25519 signatures are 64 bytes: 86 base64url chars, 4 unused bits.
  auto v = Standard();
  const std::string token = MintToken(Header("EdDSA", "ed"), Claims().Json(),
                                      K().ed, Algorithm::kEdDSA);
  ASSERT_TRUE(v->Verify(token).ok());
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string bad = token;
  const int last = static_cast<int>(strchr(kAlphabet, bad.back()) - kAlphabet);
  bad.back() = kAlphabet[last | 1];  // Same decoded bytes, stray low bit.
  ASSERT_NE(bad, token);
  EXPECT_THAT(v->Verify(bad), RejectedWith(Reason::kBadBase64));
}

TEST_F(JwtVerifierTest, RejectsHeaderOrPayloadThatIsNotAJsonObject) {
  auto v = Standard();
  for (const char* header : {"[]", R"("RS256")", "1", "null", "true"}) {
    EXPECT_THAT(v->Verify(MintToken(header, Claims().Json(), K().rsa,
                                    Algorithm::kRS256)),
                RejectedWith(Reason::kNotJsonObject))
        << header;
  }
  for (const char* payload : {"[]", R"("user")", "1", "null", "[{}]"}) {
    EXPECT_THAT(v->Verify(MintToken(Header("RS256", "rsa"), payload, K().rsa,
                                    Algorithm::kRS256)),
                RejectedWith(Reason::kNotJsonObject))
        << payload;
  }
}

TEST_F(JwtVerifierTest, RejectsMalformedJsonBomUtf8AndTrailingGarbage) {
  auto v = Standard();
  const std::string claims = Claims().Json();
  const std::string header = Header("RS256", "rsa");
  auto with_payload = [&](const std::string& payload) {
    return MintToken(header, payload, K().rsa, Algorithm::kRS256);
  };
  auto with_header = [&](const std::string& h) {
    return MintToken(h, claims, K().rsa, Algorithm::kRS256);
  };
  const std::string bom = "\xef\xbb\xbf";
  EXPECT_THAT(v->Verify(with_header(bom + header)),
              RejectedWith(Reason::kMalformedJson));
  EXPECT_THAT(v->Verify(with_payload(bom + claims)),
              RejectedWith(Reason::kMalformedJson));
  EXPECT_THAT(v->Verify(with_payload(claims + "x")),
              RejectedWith(Reason::kMalformedJson));
  EXPECT_THAT(v->Verify(with_payload(claims + "{}")),
              RejectedWith(Reason::kMalformedJson));
  EXPECT_THAT(v->Verify(with_header(header + " ")),
              ::testing::Not(RejectedWith(Reason::kMalformedJson)));
  for (const char* bad_sub :
       {"\"\xc0\xaf\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xff\"",
        R"("\ud800")", R"("\udfff")", R"("ab\ud83dx")"}) {
    EXPECT_THAT(v->Verify(with_payload(Claims().Set("sub", bad_sub).Json())),
                RejectedWith(Reason::kMalformedJson))
        << bad_sub;
  }
  EXPECT_THAT(
      v->Verify(with_header(R"({"alg":"RS256","kid":"rsa","x":"\xc0\xaf"})")),
      RejectedWith(Reason::kMalformedJson));
  EXPECT_THAT(v->Verify(with_payload(Claims().Set("exp", "NaN").Json())),
              RejectedWith(Reason::kMalformedJson));
}

TEST_F(JwtVerifierTest, RejectsNestingDeeperThanLimit) {
  auto v = Standard();
  auto nested = [](int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  // The claims object itself is depth 1.
  EXPECT_TRUE(v->Verify(Rs256(Claims().Set("x", nested(15)))).ok());
  EXPECT_THAT(v->Verify(Rs256(Claims().Set("x", nested(16)))),
              RejectedWith(Reason::kMalformedJson));
  EXPECT_THAT(v->Verify(Rs256(Claims(), absl::StrCat(R"("x":)", nested(16)))),
              RejectedWith(Reason::kMalformedJson));
}

TEST_F(JwtVerifierTest, RejectsDuplicateKeysInHeaderAndClaims) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(MintToken(R"({"alg":"RS256","kid":"rsa","alg":"none"})",
                                  Claims().Json(), K().rsa, Algorithm::kRS256)),
              RejectedWith(Reason::kDuplicateKey));
  EXPECT_THAT(v->Verify(MintToken(R"({"alg":"RS256","kid":"rsa","kid":"ec"})",
                                  Claims().Json(), K().rsa, Algorithm::kRS256)),
              RejectedWith(Reason::kDuplicateKey));
  const std::string dup_sub = Claims().Json();
  EXPECT_THAT(v->Verify(Rs256(Claims().Set("x", "1"))),
              ::testing::Not(RejectedWith(Reason::kDuplicateKey)));
  std::string payload =
      dup_sub.substr(0, dup_sub.size() - 1) + R"(,"sub":"admin"})";
  EXPECT_THAT(v->Verify(MintToken(Header("RS256", "rsa"), payload, K().rsa,
                                  Algorithm::kRS256)),
              RejectedWith(Reason::kDuplicateKey));
  payload =
      dup_sub.substr(0, dup_sub.size() - 1) + R"(,"\u0065xp":99999999999})";
  EXPECT_THAT(v->Verify(MintToken(Header("RS256", "rsa"), payload, K().rsa,
                                  Algorithm::kRS256)),
              RejectedWith(Reason::kDuplicateKey));
}

TEST_F(JwtVerifierTest, EnforcesTokenSizeCap) {
  auto v = Standard();
  // Pad a valid token's claims to land exactly on and just over 8 KiB.
  const std::string base = Rs256(Claims().Set("pad", "\"\""));
  const size_t room = 8192 - base.size();
  std::string at_cap;
  for (size_t pad = room * 3 / 4; pad > 0; --pad) {
    at_cap = Rs256(Claims().Set("pad", "\"" + std::string(pad, 'p') + "\""));
    if (at_cap.size() <= 8192) break;
  }
  ASSERT_LE(at_cap.size(), 8192u);
  ASSERT_GT(at_cap.size(), 8150u);
  EXPECT_TRUE(v->Verify(at_cap).ok());
  const std::string over =
      Rs256(Claims().Set("pad", "\"" + std::string(room, 'p') + "\""));
  ASSERT_GT(over.size(), 8192u);
  EXPECT_THAT(v->Verify(over), RejectedWith(Reason::kTokenTooLarge));
  EXPECT_THAT(v->Verify(std::string(1 << 20, 'a')),
              RejectedWith(Reason::kTokenTooLarge));
  // Configurable.
  JwtVerifierOptions options = DefaultOptions();
  options.max_token_bytes = 400;
  EXPECT_THAT(Standard(options)->Verify(Rs256(Claims())),
              RejectedWith(Reason::kTokenTooLarge));
}

// ---------------------------------------------------------------------------
// Claims.

TEST_F(JwtVerifierTest, ExpiryWithLeeway) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(Es256(Claims().Remove("exp"))),
              RejectedWith(Reason::kExpMissing));
  EXPECT_THAT(v->Verify(Es256(Claims().Set("exp", absl::StrCat(kNow - 61)))),
              RejectedWith(Reason::kExpired));
  EXPECT_THAT(v->Verify(Es256(Claims().Set("exp", absl::StrCat(kNow - 60)))),
              RejectedWith(Reason::kExpired));
  EXPECT_TRUE(
      v->Verify(Es256(Claims().Set("exp", absl::StrCat(kNow - 59)))).ok());
  // The same token expires as the injected clock moves.
  const std::string token = Es256(Claims().Set("exp", absl::StrCat(kNow + 5)));
  EXPECT_TRUE(v->Verify(token).ok());
  clock_.Advance(absl::Seconds(65));
  EXPECT_THAT(v->Verify(token), RejectedWith(Reason::kExpired));
}

TEST_F(JwtVerifierTest, TimeClaimsMustBeNonNegativeSafeIntegers) {
  auto v = Standard();
  for (const char* name : {"exp", "nbf", "iat"}) {
    for (const char* bad :
         {"\"1700000600\"", "1700000600.0", "1.5", "1e9", "1.7e9", "-1", "-0",
          "9007199254740993", "99999999999999999999999999", "true", "null",
          "[1700000600]", "{}"}) {
      EXPECT_THAT(v->Verify(Es256(Claims().Set(name, bad))),
                  RejectedWith(Reason::kBadTimeClaim))
          << name << "=" << bad;
    }
  }
}

TEST_F(JwtVerifierTest, NotBeforeAndIssuedAtInTheFuture) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(Es256(Claims().Set("nbf", absl::StrCat(kNow + 61)))),
              RejectedWith(Reason::kNotYetValid));
  EXPECT_TRUE(
      v->Verify(Es256(Claims().Set("nbf", absl::StrCat(kNow + 60)))).ok());
  EXPECT_THAT(v->Verify(Es256(Claims().Set("iat", absl::StrCat(kNow + 61)))),
              RejectedWith(Reason::kIssuedInFuture));
  EXPECT_TRUE(
      v->Verify(Es256(Claims().Set("iat", absl::StrCat(kNow + 60)))).ok());
}

TEST_F(JwtVerifierTest, LifetimeAboveMaximum) {
  auto v = Standard();
  const int64_t day = 24 * 3600;
  EXPECT_TRUE(v->Verify(Es256(Claims()
                                  .Set("iat", absl::StrCat(kNow))
                                  .Set("exp", absl::StrCat(kNow + day))))
                  .ok());
  EXPECT_THAT(v->Verify(Es256(Claims()
                                  .Set("iat", absl::StrCat(kNow))
                                  .Set("exp", absl::StrCat(kNow + day + 1)))),
              RejectedWith(Reason::kLifetimeTooLong));
  // Without iat: from nbf, then from now.
  EXPECT_THAT(v->Verify(Es256(Claims()
                                  .Remove("iat")
                                  .Set("nbf", absl::StrCat(kNow - 10))
                                  .Set("exp", absl::StrCat(kNow + day)))),
              RejectedWith(Reason::kLifetimeTooLong));
  EXPECT_THAT(v->Verify(Es256(Claims().Remove("iat").Set(
                  "exp", absl::StrCat(kNow + 365 * day)))),
              RejectedWith(Reason::kLifetimeTooLong));
  JwtVerifierOptions options = DefaultOptions();
  options.claims.max_lifetime = absl::Minutes(5);
  EXPECT_THAT(Standard(options)->Verify(Es256(Claims())),
              RejectedWith(Reason::kLifetimeTooLong));
}

TEST_F(JwtVerifierTest, IssuerRequiredAndAllowListed) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(Es256(Claims().Remove("iss"))),
              RejectedWith(Reason::kIssMissing));
  for (const char* bad : {R"("https://evil.test")", R"("https://issuer.test/")",
                          R"("HTTPS://ISSUER.TEST")", R"("")", "1",
                          R"(["https://issuer.test"])"}) {
    EXPECT_THAT(v->Verify(Es256(Claims().Set("iss", bad))),
                RejectedWith(Reason::kIssNotAllowed))
        << bad;
  }
}

TEST_F(JwtVerifierTest, AudienceRules) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(Es256(Claims().Remove("aud"))),
              RejectedWith(Reason::kAudMissing));
  EXPECT_THAT(v->Verify(Es256(Claims().Set("aud", R"("other")"))),
              RejectedWith(Reason::kAudNotAllowed));
  EXPECT_THAT(v->Verify(Es256(Claims().Set("aud", R"(["a","b"])"))),
              RejectedWith(Reason::kAudNotAllowed));
  for (const char* bad : {R"("")", "[]", "5", "null", R"({"aud":"bastion"})",
                          R"(["bastion",5])", R"(["bastion",""])"}) {
    EXPECT_THAT(v->Verify(Es256(Claims().Set("aud", bad))),
                RejectedWith(Reason::kBadAud))
        << bad;
  }
  EXPECT_TRUE(v->Verify(Es256(Claims().Set("aud", R"(["x","bastion"])"))).ok());
  // Optional audience when configured so.
  JwtVerifierOptions options = DefaultOptions();
  options.claims.require_audience = false;
  EXPECT_TRUE(Standard(options)->Verify(Es256(Claims().Remove("aud"))).ok());
}

TEST_F(JwtVerifierTest, SubjectRules) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(Es256(Claims().Remove("sub"))),
              RejectedWith(Reason::kSubMissing));
  for (const char* bad : {R"("")", "5", "null", R"(["u"])"}) {
    EXPECT_THAT(v->Verify(Es256(Claims().Set("sub", bad))),
                RejectedWith(Reason::kBadSub))
        << bad;
  }
  for (const char* reserved :
       {R"("bastion:admin")", R"("system:root")", R"("service:billing")",
        R"("Bastion:admin")", R"("SYSTEM:x")"}) {
    EXPECT_THAT(v->Verify(Es256(Claims().Set("sub", reserved))),
                RejectedWith(Reason::kReservedSub))
        << reserved;
  }
  JwtVerifierOptions options = DefaultOptions();
  options.claims.reserved_subject_prefixes = {"internal/"};
  auto custom = Standard(options);
  EXPECT_TRUE(custom->Verify(Es256(Claims().Set("sub", R"("system:x")"))).ok());
  EXPECT_THAT(custom->Verify(Es256(Claims().Set("sub", R"("internal/x")"))),
              RejectedWith(Reason::kReservedSub));
}

TEST_F(JwtVerifierTest, TenantRules) {
  auto v = Standard();
  auto t = v->Verify(Es256(Claims()));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->tenant_id, "tenant-default");
  for (const char* bad : {R"("")", "5", "null", R"(["acme"])"}) {
    EXPECT_THAT(v->Verify(Es256(Claims().Set("tenant_id", bad))),
                RejectedWith(Reason::kBadTenant))
        << bad;
  }
  JwtVerifierOptions options = DefaultOptions();
  options.claims.default_tenant.clear();
  options.claims.names.tenant = "org_id";
  auto strict = Standard(options);
  EXPECT_THAT(strict->Verify(Es256(Claims().Set("tenant_id", R"("acme")"))),
              RejectedWith(Reason::kMissingTenant));
  t = strict->Verify(Es256(Claims().Set("org_id", R"("acme")")));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->tenant_id, "acme");
}

TEST_F(JwtVerifierTest, ScopesFromEveryProviderStyle) {
  auto v = Standard();
  auto scopes = [&](const Claims& c) {
    auto t = v->Verify(Es256(c));
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? t->scopes : std::vector<std::string>{};
  };
  EXPECT_THAT(scopes(Claims().Set("scopes", R"(["a","b"])")),
              ElementsAre("a", "b"));
  EXPECT_THAT(scopes(Claims().Set("scopes", R"(" a  b ")")),
              ElementsAre("a", "b"));
  EXPECT_THAT(scopes(Claims().Set("scope", R"("read write")")),  // Okta
              ElementsAre("read", "write"));
  EXPECT_THAT(scopes(Claims().Set("permissions", R"(["x:read"])")),  // Auth0
              ElementsAre("x:read"));
  EXPECT_THAT(scopes(Claims()
                         .Set("scopes", R"(["a"])")
                         .Set("scope", R"("a b")")
                         .Set("permissions", R"(["c","b"])")),
              ElementsAre("a", "b", "c"));
  EXPECT_THAT(scopes(Claims()), ElementsAre());
  for (const auto& [name, bad] :
       std::vector<std::pair<std::string, std::string>>{
           {"scopes", "5"},
           {"scopes", R"(["a",5])"},
           {"scopes", R"([""])"},
           {"scope", R"(["a"])"},
           {"permissions", R"("a b")"},
           {"permissions", "{}"}}) {
    EXPECT_THAT(v->Verify(Es256(Claims().Set(name, bad))),
                RejectedWith(Reason::kBadScopes))
        << name << "=" << bad;
  }
  // Configurable claim name.
  JwtVerifierOptions options = DefaultOptions();
  options.claims.names.scopes = "scp";
  auto t = Standard(options)->Verify(Es256(Claims().Set("scp", R"("q")")));
  ASSERT_TRUE(t.ok());
  EXPECT_THAT(t->scopes, ElementsAre("q"));
}

TEST_F(JwtVerifierTest, RolesAndJti) {
  auto v = Standard();
  EXPECT_THAT(v->Verify(Es256(Claims().Set("roles", R"("admin")"))),
              RejectedWith(Reason::kBadRoles));
  EXPECT_THAT(v->Verify(Es256(Claims().Set("roles", R"([1])"))),
              RejectedWith(Reason::kBadRoles));
  EXPECT_THAT(v->Verify(Es256(Claims().Set("jti", "7"))),
              RejectedWith(Reason::kBadJti));
  auto t = v->Verify(Es256(Claims()));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->token_id.empty());
  EXPECT_TRUE(t->roles.empty());
}

// ---------------------------------------------------------------------------
// Configuration.

TEST_F(JwtVerifierTest, CreateRejectsUnenforceableOptions) {
  auto keys = std::make_shared<StaticKeySource>(
      *KeySet::Create({K().rsa.VerifierKey("rsa")}));
  JwtVerifierOptions no_iss = DefaultOptions();
  no_iss.claims.allowed_issuers.clear();
  JwtVerifierOptions no_aud = DefaultOptions();
  no_aud.claims.audiences.clear();
  JwtVerifierOptions bad_size = DefaultOptions();
  bad_size.max_token_bytes = 0;
  JwtVerifierOptions bad_leeway = DefaultOptions();
  bad_leeway.claims.leeway = absl::Seconds(-1);
  for (const JwtVerifierOptions& o : {no_iss, no_aud, bad_size, bad_leeway}) {
    auto v = JwtVerifier::Create(o, keys, &clock_);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(
      JwtVerifier::Create(DefaultOptions(), nullptr, &clock_).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      JwtVerifier::Create(DefaultOptions(), keys, nullptr).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(ReasonTest, MessageHasStablePrefixAndPayload) {
  absl::Status s = Reject(Reason::kAlgNone, "detail");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "jwt:alg_none: detail");
  EXPECT_EQ(ReasonOf(s), Reason::kAlgNone);
  EXPECT_EQ(ReasonOf(absl::UnauthenticatedError("jwt:alg_none: forged")),
            Reason::kNone);
  EXPECT_EQ(ReasonOf(absl::OkStatus()), Reason::kNone);
}

}  // namespace
}  // namespace bastion::authn::jwt
