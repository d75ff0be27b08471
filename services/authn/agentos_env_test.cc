// AgentOS's variable names stand in for authn's BASTION_ names, only when
// those are unset, and reach the loaded config.
#include "services/authn/agentos_env.h"

#include <map>
#include <string>

#include "bastion/authn/v1/authn_config.pb.h"
#include "gtest/gtest.h"

namespace bastion::authn {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](
             absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AgentOsEnvTest, AliasesFillUnsetBastionNames) {
  v1::AuthnConfig config;
  ASSERT_TRUE(LoadConfig("", "BASTION_",
                         WithAgentOsAliases(Env({
                             {"JWT_VERIFICATION_KEY", "a-shared-secret"},
                             {"JWT_JWKS_FILE", "/etc/agentos/jwks.json"},
                         })),
                         &config)
                  .ok());
  EXPECT_EQ(config.verification_key(), "a-shared-secret");
  EXPECT_EQ(config.jwks_file(), "/etc/agentos/jwks.json");
}

TEST(AgentOsEnvTest, BastionNamesWin) {
  v1::AuthnConfig config;
  ASSERT_TRUE(LoadConfig("", "BASTION_",
                         WithAgentOsAliases(Env({
                             {"JWT_VERIFICATION_KEY", "agentos-secret"},
                             {"BASTION_VERIFICATION_KEY", "bastion-secret"},
                             {"JWT_JWKS_FILE", "/agentos.json"},
                             {"BASTION_JWKS_FILE", "/bastion.json"},
                         })),
                         &config)
                  .ok());
  EXPECT_EQ(config.verification_key(), "bastion-secret");
  EXPECT_EQ(config.jwks_file(), "/bastion.json");
}

TEST(AgentOsEnvTest, OtherNamesAreUntouched) {
  const EnvLookup env = WithAgentOsAliases(Env({
      {"JWT_ISSUER", "https://idp.test"},
      {"BASTION_ISSUER", "https://bastion.test"},
  }));
  EXPECT_EQ(env("BASTION_ISSUER"), "https://bastion.test");
  EXPECT_EQ(env("BASTION_AUDIENCE"), std::nullopt);
  // Only the two documented aliases exist.
  v1::AuthnConfig config;
  ASSERT_TRUE(LoadConfig("", "BASTION_",
                         WithAgentOsAliases(Env({{"JWT_ISSUER", "x"},
                                                 {"JWT_ALGORITHM", "HS256"}})),
                         &config)
                  .ok());
  EXPECT_TRUE(config.issuer().empty());
  EXPECT_TRUE(config.verification_key_algorithm().empty());
}

}  // namespace
}  // namespace bastion::authn
