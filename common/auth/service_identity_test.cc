// Tests service assertions: what a trusted service signs verifies, nothing
// else does. (The interceptor that attaches them is tested end to end in
// call_guard_test.)
#include "common/auth/service_identity.h"

#include <filesystem>
#include <fstream>

#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::unique_ptr<ServiceIdentity> Identity(const std::string& name) {
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> identity =
      ServiceIdentity::LoadOrGenerate(TempDir() + "/" + name + ".pem", name);
  EXPECT_TRUE(identity.ok()) << identity.status();
  return *std::move(identity);
}

std::unique_ptr<AssertionAuthenticator> Trusting(
    const std::vector<common::v1::AssertionKey>& keys) {
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> set =
      assertion::KeySet::Create(keys);
  EXPECT_TRUE(set.ok());
  absl::StatusOr<std::unique_ptr<AssertionAuthenticator>> verifier =
      MakeServiceVerifier(*set);
  EXPECT_TRUE(verifier.ok());
  return *std::move(verifier);
}

TEST(ServiceIdentityTest, TrustedServiceAssertionVerifies) {
  std::unique_ptr<ServiceIdentity> runs = Identity("run_executor");
  std::unique_ptr<AssertionAuthenticator> verifier =
      Trusting({runs->PublicKey()});
  absl::StatusOr<std::string> assertion = runs->Assertion(absl::Now());
  ASSERT_THAT(assertion, IsOk());
  absl::StatusOr<common::v1::Principal> principal = verifier->Verify(*assertion);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->subject(), "service:run_executor");
  EXPECT_EQ(principal->credential_kind(), common::v1::CREDENTIAL_KIND_SERVICE);
}

TEST(ServiceIdentityTest, UntrustedServiceIsRefused) {
  std::unique_ptr<ServiceIdentity> trusted = Identity("data_a");
  std::unique_ptr<ServiceIdentity> stranger = Identity("stranger");
  std::unique_ptr<AssertionAuthenticator> verifier =
      Trusting({trusted->PublicKey()});
  EXPECT_THAT(verifier->Verify(*stranger->Assertion(absl::Now())),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier->Verify("garbage"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ServiceIdentityTest, UserAssertionSignedByAServiceKeyIsNotAService) {
  const std::string path = TempDir() + "/misused.pem";
  absl::StatusOr<assertion::AssertionSigner> signer =
      assertion::AssertionSigner::LoadOrGenerate(path);
  ASSERT_THAT(signer, IsOk());
  common::v1::Principal user;
  user.set_tenant_id(kServiceTenant);
  user.set_subject("service:pretender");
  user.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  absl::StatusOr<std::string> assertion =
      signer->Sign(user, {kDefaultAudience}, now, now + absl::Minutes(1));
  ASSERT_THAT(assertion, IsOk());
  EXPECT_THAT(Trusting({signer->PublicKey()})->Verify(*assertion),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST(ServiceIdentityTest, AssertionIsReusedUntilNearExpiry) {
  std::unique_ptr<ServiceIdentity> runs = Identity("reuse");
  const absl::Time now = absl::Now();
  const std::string first = *runs->Assertion(now);
  const std::string later = *runs->Assertion(now + absl::Minutes(3));
  const std::string renewed =
      *runs->Assertion(now + absl::Minutes(4) + absl::Seconds(30));
  EXPECT_EQ(first, later);
  EXPECT_NE(first, renewed);
}

TEST(ServiceIdentityTest, TrustedServicesFileIsValidated) {
  const std::string path = TempDir() + "/trusted.json";
  std::ofstream(path) << R"({"keys": [{"keyId": "abc", "algorithm": "EdDSA",
                                       "publicKey": "AAAA"}]})";
  EXPECT_THAT(LoadTrustedServices(path),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::ofstream(path) << R"({"keyz": []})";
  EXPECT_THAT(LoadTrustedServices(path),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(LoadTrustedServices(TempDir() + "/missing.json"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ServiceIdentityTest, ForwardCallerNeedsAnAssertion) {
  grpc::ClientContext context;
  EXPECT_THAT(ForwardCaller(Caller{}, &context),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  Caller caller;
  caller.assertion = "user-assertion";
  EXPECT_THAT(ForwardCaller(caller, &context), IsOk());
}

}  // namespace
}  // namespace bastion
