// Tests authn's key loading: it refuses to start without a usable key
// source, configured keys and a rotating JWKS file verify together, the
// inline verification_key (AgentOS's JWT_VERIFICATION_KEY) loads as PEM or
// secret, jwks_url settings keep their bounds, and an unknown kid reaches
// the rotating source through the merged set.
#include "services/authn/key_sources.h"

#include <fstream>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

std::string Path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::string Jwks(const std::vector<std::string>& keys) {
  std::string out = "{\"keys\": [";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? "," : "") + keys[i];
  return out + "]}";
}

class KeySourcesTest : public ::testing::Test {
 protected:
  FakeClock clock_{absl::FromUnixSeconds(1800000000)};
};

TEST_F(KeySourcesTest, NoKeySourceRefusesToStart) {
  absl::StatusOr<std::shared_ptr<jwt::KeySource>> keys =
      LoadKeySource(v1::AuthnConfig(), &clock_);
  EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(keys.status().message()),
              HasSubstr("no verification key"));
}

TEST_F(KeySourcesTest, MissingOrInvalidFilesRefuseToStart) {
  v1::AuthnConfig config;
  config.set_jwks_file(Path("no-such-jwks.json"));
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));

  config.Clear();
  config.add_verification_keys()->set_pem_file(Path("no-such.pem"));
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));

  Write(Path("garbage.pem"), "-----BEGIN PUBLIC KEY-----\nnot a key\n");
  config.mutable_verification_keys(0)->set_pem_file(Path("garbage.pem"));
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KeySourcesTest, ShortHmacSecretAndAmbiguousKeysAreRefused) {
  Write(Path("short.secret"), "only-sixteen-byt\n");
  v1::AuthnConfig config;
  v1::VerificationKey* key = config.add_verification_keys();
  key->set_hmac_secret_file(Path("short.secret"));
  key->set_algorithm("HS256");
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));

  Write(Path("long.secret"), std::string(32, 'k') + "\n");
  key->set_hmac_secret_file(Path("long.secret"));
  EXPECT_THAT(LoadKeySource(config, &clock_), IsOk());
  key->set_pem_file(Path("long.secret"));  // both: which one?
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KeySourcesTest, ConfiguredKeysAndRotatingJwksVerifyTogether) {
  const jwt::testing::TestKey fixed = jwt::testing::TestKey::Ed25519();
  const jwt::testing::TestKey old_key = jwt::testing::TestKey::Ed25519();
  const jwt::testing::TestKey new_key = jwt::testing::TestKey::Ed25519();
  Write(Path("fixed.pem"), fixed.PublicPem());
  Write(Path("rotating.json"), Jwks({old_key.Jwk("old", "EdDSA")}));
  v1::AuthnConfig config;
  v1::VerificationKey* key = config.add_verification_keys();
  key->set_kid("fixed");
  key->set_pem_file(Path("fixed.pem"));
  config.set_jwks_file(Path("rotating.json"));

  absl::StatusOr<std::shared_ptr<jwt::KeySource>> keys =
      LoadKeySource(config, &clock_);
  ASSERT_THAT(keys, IsOk());
  EXPECT_NE((*keys)->Current()->FindByKid("fixed"), nullptr);
  EXPECT_NE((*keys)->Current()->FindByKid("old"), nullptr);
  EXPECT_EQ((*keys)->Current()->FindByKid("new"), nullptr);

  // Rotation: old and new both in the file, then only new.
  Write(Path("rotating.json"), Jwks({old_key.Jwk("old", "EdDSA"),
                                     new_key.Jwk("new", "EdDSA")}));
  clock_.Advance(absl::Seconds(6));
  EXPECT_NE((*keys)->Current()->FindByKid("new"), nullptr);
  EXPECT_NE((*keys)->Current()->FindByKid("old"), nullptr);
  EXPECT_NE((*keys)->Current()->FindByKid("fixed"), nullptr);
  Write(Path("rotating.json"), Jwks({new_key.Jwk("new", "EdDSA")}));
  clock_.Advance(absl::Seconds(6));
  EXPECT_EQ((*keys)->Current()->FindByKid("old"), nullptr);
  EXPECT_NE((*keys)->Current()->FindByKid("fixed"), nullptr);
}

TEST_F(KeySourcesTest, InlineVerificationKeyIsAPemOrASecret) {
  const jwt::testing::TestKey rsa = jwt::testing::TestKey::Rsa(2048);
  v1::AuthnConfig config;
  config.set_verification_key(rsa.PublicPem());
  absl::StatusOr<std::shared_ptr<jwt::KeySource>> keys =
      LoadKeySource(config, &clock_);
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ((*keys)->Current()->default_keys().size(), 1u);
  EXPECT_EQ((*keys)->Current()->default_keys()[0]->type(), jwt::KeyType::kRsa);
  EXPECT_TRUE(
      (*keys)->Current()->default_keys()[0]->Allows(jwt::Algorithm::kRS256));

  // A PEM whose line breaks arrived as the two characters "\n".
  std::string escaped;
  for (char c : rsa.PublicPem())
    escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  config.set_verification_key(escaped);
  ASSERT_THAT(LoadKeySource(config, &clock_), IsOk());

  config.set_verification_key(std::string(48, 's'));
  config.set_verification_key_algorithm("HS384");
  keys = LoadKeySource(config, &clock_);
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ((*keys)->Current()->default_keys()[0]->type(), jwt::KeyType::kHmac);
  EXPECT_TRUE(
      (*keys)->Current()->default_keys()[0]->Allows(jwt::Algorithm::kHS384));
}

TEST_F(KeySourcesTest, BadInlineKeyIsNamedNeverEchoed) {
  v1::AuthnConfig config;
  config.set_verification_key("short-secret-value");
  absl::StatusOr<std::shared_ptr<jwt::KeySource>> keys =
      LoadKeySource(config, &clock_);
  EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(keys.status().message()),
              HasSubstr("verification_key"));
  EXPECT_THAT(std::string(keys.status().message()),
              ::testing::Not(HasSubstr("short-secret-value")));

  config.set_verification_key(std::string(32, 's'));
  config.set_verification_key_algorithm("RS256");  // Does not fit a secret.
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.set_verification_key_algorithm("XS256");
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  config.clear_verification_key();
  config.set_verification_key_algorithm("HS256");
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KeySourcesTest, JwksUrlIsHttpsOnlyAndNotBesideAJwksFile) {
  v1::AuthnConfig config;
  config.add_issuer("https://idp.test");
  for (const char* url : {"http://127.0.0.1:1/jwks", "http://localhost/jwks",
                          "jwks.json", "https://user:pw@idp.test/jwks"}) {
    SCOPED_TRACE(url);
    config.set_jwks_url(url);
    absl::StatusOr<std::shared_ptr<jwt::KeySource>> keys =
        LoadKeySource(config, &clock_);
    EXPECT_THAT(keys, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(keys.status().message()), HasSubstr("jwks_url"));
  }
  config.set_jwks_url("https://idp.test/jwks");
  config.set_jwks_file(Path("any.json"));
  EXPECT_THAT(LoadKeySource(config, &clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(KeySourcesTest, DiscoveryUrlMustNameAnAcceptedIssuer) {
  v1::AuthnConfig config;
  config.add_issuer("https://idp.test/realms/a");
  config.set_jwks_url(
      "https://idp.test/realms/b/.well-known/openid-configuration");
  absl::StatusOr<jwt::JwksUrlOptions> options = JwksUrlOptionsFrom(config);
  EXPECT_THAT(options, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(options.status().message()),
              HasSubstr("https://idp.test/realms/b"));
  config.set_jwks_url(
      "https://idp.test/realms/a/.well-known/openid-configuration");
  EXPECT_THAT(JwksUrlOptionsFrom(config), IsOk());
}

TEST_F(KeySourcesTest, JwksUrlSettingsHaveDefaultsAndBounds) {
  v1::AuthnConfig config;
  config.add_issuer("https://idp.test");
  config.set_jwks_url("https://idp.test/jwks");
  config.set_jwks_ca_file("/etc/idp-ca.pem");
  absl::StatusOr<jwt::JwksUrlOptions> options = JwksUrlOptionsFrom(config);
  ASSERT_THAT(options, IsOk());
  EXPECT_EQ(options->min_cache, absl::Seconds(60));
  EXPECT_EQ(options->max_cache, absl::Hours(24));
  EXPECT_EQ(options->refetch_interval, absl::Seconds(30));
  EXPECT_EQ(options->unknown_kid_wait, absl::Seconds(1));
  EXPECT_EQ(options->fetch.connect_timeout, absl::Seconds(2));
  EXPECT_EQ(options->fetch.timeout, absl::Seconds(5));
  EXPECT_EQ(options->fetch.max_body_bytes, size_t{1} << 20);
  EXPECT_EQ(options->fetch.ca_file, "/etc/idp-ca.pem");

  struct Bad {
    const char* name;
    void (*set)(v1::AuthnConfig*);
  };
  for (const Bad& bad : std::vector<Bad>{
           {"jwks_min_cache_seconds",
            [](v1::AuthnConfig* c) { c->set_jwks_min_cache_seconds(-1); }},
           {"jwks_max_cache_seconds",
            [](v1::AuthnConfig* c) {
              c->set_jwks_min_cache_seconds(600);
              c->set_jwks_max_cache_seconds(300);
            }},
           {"jwks_max_cache_seconds",
            [](v1::AuthnConfig* c) {
              c->set_jwks_max_cache_seconds(8 * 86400);
            }},
           {"jwks_refetch_interval_seconds",
            [](v1::AuthnConfig* c) {
              c->set_jwks_refetch_interval_seconds(7200);
            }},
           {"jwks_connect_timeout_ms",
            [](v1::AuthnConfig* c) { c->set_jwks_connect_timeout_ms(10); }},
           {"jwks_timeout_ms",
            [](v1::AuthnConfig* c) {
              c->set_jwks_connect_timeout_ms(3000);
              c->set_jwks_timeout_ms(1000);
            }},
           {"jwks_max_bytes",
            [](v1::AuthnConfig* c) { c->set_jwks_max_bytes(64 << 20); }},
           {"jwks_unknown_kid_wait_ms",
            [](v1::AuthnConfig* c) { c->set_jwks_unknown_kid_wait_ms(10000); }},
       }) {
    SCOPED_TRACE(bad.name);
    v1::AuthnConfig broken = config;
    bad.set(&broken);
    options = JwksUrlOptionsFrom(broken);
    EXPECT_THAT(options, StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(std::string(options.status().message()), HasSubstr(bad.name));
  }
}

// A rotating source that gains the "late" kid when asked about an unknown
// kid, like a JWKS URL after its refetch.
class LearningSource final : public jwt::KeySource {
 public:
  explicit LearningSource(std::vector<jwt::testing::TestKey> keys)
      : keys_(std::move(keys)), current_(Set({"early"})) {}
  std::shared_ptr<const jwt::KeySet> Current() const override {
    return current_;
  }
  std::shared_ptr<const jwt::KeySet> RefreshForUnknownKid(
      uint64_t seen_generation) const override {
    ++asked;
    if (seen_generation != current_->generation()) return current_;
    current_ = Set({"early", "late"});
    return current_;
  }
  mutable int asked = 0;

 private:
  std::shared_ptr<const jwt::KeySet> Set(
      const std::vector<std::string>& kids) const {
    std::vector<std::shared_ptr<const jwt::VerificationKey>> keys;
    for (size_t i = 0; i < kids.size(); ++i) {
      keys.push_back(keys_[i].VerifierKey(kids[i]));
    }
    return *jwt::KeySet::Create(std::move(keys));
  }
  const std::vector<jwt::testing::TestKey> keys_;
  mutable std::shared_ptr<const jwt::KeySet> current_;
};

TEST_F(KeySourcesTest, UnknownKidReachesTheRotatingSourceThroughTheMerge) {
  const jwt::testing::TestKey fixed = jwt::testing::TestKey::Ed25519();
  auto rotating =
      std::make_shared<LearningSource>(std::vector<jwt::testing::TestKey>{
          jwt::testing::TestKey::Ed25519(), jwt::testing::TestKey::Ed25519()});
  absl::StatusOr<std::unique_ptr<OrderedKeySource>> merged =
      OrderedKeySource::Create({fixed.VerifierKey("fixed")}, rotating);
  ASSERT_THAT(merged, IsOk());
  const std::shared_ptr<const jwt::KeySet> before = (*merged)->Current();
  EXPECT_EQ(before->FindByKid("late"), nullptr);

  std::shared_ptr<const jwt::KeySet> after =
      (*merged)->RefreshForUnknownKid(before->generation());
  ASSERT_NE(after, nullptr);
  EXPECT_NE(after->FindByKid("late"), nullptr);
  EXPECT_NE(after->FindByKid("fixed"), nullptr);
  EXPECT_EQ(rotating->asked, 1);
  // Asked with the old generation again: the newer merge answers, no fetch.
  EXPECT_EQ((*merged)->RefreshForUnknownKid(before->generation()), after);
  EXPECT_EQ(rotating->asked, 1);

  // Without a rotating source there is nothing to learn.
  absl::StatusOr<std::unique_ptr<OrderedKeySource>> fixed_only =
      OrderedKeySource::Create({fixed.VerifierKey("fixed")}, nullptr);
  ASSERT_THAT(fixed_only, IsOk());
  EXPECT_EQ((*fixed_only)
                ->RefreshForUnknownKid((*fixed_only)->Current()->generation()),
            nullptr);
}

}  // namespace
}  // namespace bastion::authn
