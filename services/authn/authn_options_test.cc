// authn's configuration rules for API keys (pure).
#include "services/authn/authn_options.h"

#include "gtest/gtest.h"

namespace bastion::authn {
namespace {

TEST(ApiKeyAssertionTtlTest, DefaultsTo60SecondsWithinTheAssertionTtl) {
  v1::AuthnConfig config;
  EXPECT_EQ(*ApiKeyAssertionTtlFrom(config, absl::Seconds(300)),
            absl::Seconds(60));
  EXPECT_EQ(*ApiKeyAssertionTtlFrom(config, absl::Seconds(30)),
            absl::Seconds(30));
  config.set_api_key_assertion_ttl_seconds(5);
  EXPECT_EQ(*ApiKeyAssertionTtlFrom(config, absl::Seconds(300)),
            absl::Seconds(5));
}

TEST(ApiKeyAssertionTtlTest, RefusesValuesOutsideOneToTheAssertionTtl) {
  v1::AuthnConfig config;
  config.set_api_key_assertion_ttl_seconds(301);
  EXPECT_EQ(ApiKeyAssertionTtlFrom(config, absl::Seconds(300)).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.set_api_key_assertion_ttl_seconds(-1);
  EXPECT_EQ(ApiKeyAssertionTtlFrom(config, absl::Seconds(300)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VerifierOptionsTest, MaxTokenBytesStaysWithinWhatEveryEntryAccepts) {
  v1::AuthnConfig config;
  config.add_issuer("https://issuer.example");
  config.set_max_token_bytes(8192);
  absl::StatusOr<jwt::JwtVerifierOptions> options = VerifierOptionsFrom(config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->max_token_bytes, 8192u);
  for (int bad : {1023, 8193, 65536}) {
    config.set_max_token_bytes(bad);
    EXPECT_EQ(VerifierOptionsFrom(config).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace bastion::authn
