// Tests a service's identity: its assertion is reused until near its end,
// and ForwardCaller needs the user's assertion. (trusted_services_test checks
// what verifies; call_guard_test the interceptor that attaches it.)
#include "common/auth/service_identity.h"

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
