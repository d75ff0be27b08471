// Tests GuardWiring::FromConfig: it reads a service config's fields, builds
// only what the service does not own, and refuses what cannot work.
#include "common/auth/guard_wiring.h"

#include <fstream>

#include "absl/strings/match.h"
#include "bastion/authz/v1/authz_config.pb.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/status/status_matchers.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// Decides nothing; stands for authz's own engine.
class OwnAuthorizer : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller&,
                                      const PermissionRequest&) override {
    return AuthzDecision{};
  }
};

TEST(GuardWiringTest, AServiceThatAsksAuthzNeedsItsKey) {
  runs::v1::RunExecutorConfig config;
  config.set_authz_address("127.0.0.1:1");
  absl::StatusOr<std::unique_ptr<GuardWiring>> wiring =
      GuardWiring::FromConfig(config, "run_executor", {});
  ASSERT_THAT(wiring, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(wiring.status().message(), "service_key_file"));
}

TEST(GuardWiringTest, RemoteDependenciesFromTheConfig) {
  runs::v1::RunExecutorConfig config;
  config.set_authn_address("127.0.0.1:1");
  config.set_authz_address("127.0.0.1:2");
  config.set_data_address("127.0.0.1:3");
  config.set_service_key_file(TempDir() + "/run_executor.pem");
  absl::StatusOr<std::unique_ptr<GuardWiring>> wiring =
      GuardWiring::FromConfig(config, "run_executor", {});
  ASSERT_THAT(wiring, IsOk());
  const GuardDependencies& dependencies = (*wiring)->dependencies();
  EXPECT_NE(dependencies.authenticator, nullptr);
  EXPECT_NE(dependencies.assertions, nullptr);
  EXPECT_NE(dependencies.authorizer, nullptr);
  EXPECT_NE(dependencies.rate_limiter, nullptr);
  EXPECT_NE(dependencies.audit, nullptr);
  // No trusted_services_file: no service is trusted.
  EXPECT_EQ(dependencies.services, nullptr);
  ASSERT_NE((*wiring)->identity(), nullptr);
  EXPECT_EQ((*wiring)->identity()->name(), "run_executor");
  EXPECT_EQ((*wiring)->channels().identity(), (*wiring)->identity());
}

TEST(GuardWiringTest, TheOwnersPartsAreUsedAndNotAskedFor) {
  authz::v1::AuthzConfig config;
  config.set_authn_address("127.0.0.1:1");
  config.mutable_rate_limits()->set_disabled(true);
  OwnAuthorizer engine;
  LocalGuardParts local;
  local.authorizer = &engine;
  // authz owns the decision: it needs no key to ask anyone, and without
  // data_address its denials are only logged.
  absl::StatusOr<std::unique_ptr<GuardWiring>> wiring =
      GuardWiring::FromConfig(config, "authz", local);
  ASSERT_THAT(wiring, IsOk());
  EXPECT_EQ((*wiring)->dependencies().authorizer, &engine);
  EXPECT_NE((*wiring)->dependencies().authenticator, nullptr);
  EXPECT_EQ((*wiring)->dependencies().rate_limiter, nullptr);
  EXPECT_EQ((*wiring)->dependencies().audit, nullptr);
  EXPECT_EQ((*wiring)->identity(), nullptr);
}

TEST(GuardWiringTest, TheTrustedServicesFileIsLoadedAndABareKeyListRefused) {
  std::unique_ptr<ServiceIdentity> runs =
      *ServiceIdentity::LoadOrGenerate(TempDir() + "/runs.pem", "run_executor");
  common::v1::TrustedServices trusted;
  *trusted.add_services() =
      TrustedServiceOf(*runs, {"bastion.data.v1.Traces/AppendSpans"});
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(trusted, &json).ok());
  const std::string path = TempDir() + "/trusted.json";
  std::ofstream(path, std::ios::trunc) << json;

  authz::v1::AuthzConfig config;
  config.set_trusted_services_file(path);
  OwnAuthorizer engine;
  LocalGuardParts local;
  local.authorizer = &engine;
  absl::StatusOr<std::unique_ptr<GuardWiring>> wiring =
      GuardWiring::FromConfig(config, "authz", local);
  ASSERT_THAT(wiring, IsOk());
  ASSERT_NE((*wiring)->dependencies().services, nullptr);
  EXPECT_TRUE((*wiring)->dependencies().services->MayCall(
      "service:run_executor", "bastion.data.v1.Traces/AppendSpans"));

  std::ofstream(path, std::ios::trunc)
      << R"({"keys": [{"keyId": "k", "algorithm": "EdDSA", "publicKey": ""}]})";
  wiring = GuardWiring::FromConfig(config, "authz", local);
  ASSERT_THAT(wiring, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(wiring.status().message(), "bare list of keys"))
      << wiring.status();
}

TEST(GuardWiringTest, ABadTlsFileRefusesNamingIt) {
  runs::v1::RunExecutorConfig config;
  config.set_service_key_file(TempDir() + "/run_executor.pem");
  config.set_tls_cert_file(TempDir() + "/missing-cert.pem");
  config.set_tls_key_file(TempDir() + "/missing-key.pem");
  config.set_tls_ca_file(TempDir() + "/missing-ca.pem");
  absl::StatusOr<std::unique_ptr<GuardWiring>> wiring =
      GuardWiring::FromConfig(config, "run_executor", {});
  ASSERT_THAT(wiring, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(absl::StrContains(wiring.status().message(), "missing-"))
      << wiring.status();
}

}  // namespace
}  // namespace bastion
