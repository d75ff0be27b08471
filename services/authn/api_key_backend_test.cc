// authn's API key backend from configuration (pure: nothing connects).
#include "services/authn/api_key_backend.h"

#include "gtest/gtest.h"

namespace bastion::authn {
namespace {

TEST(ApiKeyBackendTest, NoDatabaseMeansNoKeyManager) {
  v1::AuthnConfig config;
  auto backend = ApiKeyBackend::FromConfig(config, SystemClock::Get());
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ((*backend)->manager(), nullptr);
}

TEST(ApiKeyBackendTest, DatabaseMeansAKeyManagerConnectingLazily) {
  v1::AuthnConfig config;
  config.set_database_url("host=/nonexistent port=1 dbname=x user=y");
  auto backend = ApiKeyBackend::FromConfig(config, SystemClock::Get());
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_NE((*backend)->manager(), nullptr);
}

TEST(ApiKeyBackendTest, PoolSizeIsBounded) {
  v1::AuthnConfig config;
  config.set_database_url("host=/nonexistent port=1 dbname=x user=y");
  config.set_database_pool_size(101);
  EXPECT_EQ(ApiKeyBackend::FromConfig(config, SystemClock::Get())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  config.set_database_pool_size(-1);
  EXPECT_EQ(ApiKeyBackend::FromConfig(config, SystemClock::Get())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bastion::authn
