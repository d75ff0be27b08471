// Tests authn's key loading: it refuses to start without a usable key
// source, and configured keys and a rotating JWKS file verify together.
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

}  // namespace
}  // namespace bastion::authn
