// RunDelegation against a fake authn: the exchange, renewal when a third of
// the grant's life is left or the check interval has passed, a refusal
// that ends the run's authority, authn unreachable until the grant expires,
// and the end.
#include "services/run_executor/runs/run_delegation.h"

#include <string>
#include <vector>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "services/run_executor/runs/fake_delegations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

constexpr const char* kId = FakeDelegations::kId;

class RunDelegationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_.principal.set_subject("alice");
    owner_.principal.set_tenant_id("acme");
    owner_.assertion = "alice-assertion";
    owner_.calling_service = "service:gateway";
  }

  std::unique_ptr<RunDelegation> Exchange() {
    absl::StatusOr<std::unique_ptr<RunDelegation>> delegation =
        RunDelegation::Exchange(&authn_, owner_, "run-1", absl::Seconds(5),
                                &clock_);
    EXPECT_THAT(delegation, IsOk());
    return delegation.ok() ? *std::move(delegation) : nullptr;
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  FakeDelegations authn_{&clock_};
  Caller owner_;
};

TEST_F(RunDelegationTest, ActsAsTheOwnerWithTheDelegation) {
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  EXPECT_THAT(authn_.exchanged(),
              ::testing::ElementsAre("alice-assertion for run-1"));
  EXPECT_EQ(delegation->id(), kId);
  const Caller current = delegation->Current();
  EXPECT_EQ(current.assertion, "delegation-1");
  EXPECT_EQ(current.principal.subject(), "alice");
  EXPECT_EQ(current.principal.tenant_id(), "acme");
  // Nothing of the starting call's own verification is carried over.
  EXPECT_EQ(current.calling_service, "");
}

TEST_F(RunDelegationTest, ExchangeRefusedOrUnreachable) {
  authn_.FailExchange(absl::UnavailableError("authn unavailable"));
  EXPECT_THAT(RunDelegation::Exchange(&authn_, owner_, "run-1",
                                      absl::Seconds(5), &clock_),
              StatusIs(absl::StatusCode::kUnavailable));
  authn_.FailExchange(absl::PermissionDeniedError("not a holder"));
  EXPECT_THAT(RunDelegation::Exchange(&authn_, owner_, "run-1",
                                      absl::Seconds(5), &clock_),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(RunDelegationTest, RenewsAfterTheCheckInterval) {
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  clock_.Advance(absl::Seconds(4));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_TRUE(authn_.renewals().empty());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_THAT(authn_.renewals(), ::testing::ElementsAre(kId));
  EXPECT_EQ(delegation->Current().assertion, "delegation-2");
  // Confirmed just now: not due again before another interval.
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals().size(), 1u);
}

TEST_F(RunDelegationTest, RenewsWhenAThirdOfTheLifeIsLeft) {
  authn_.set_ttl(absl::Seconds(3));
  absl::StatusOr<std::unique_ptr<RunDelegation>> delegation =
      RunDelegation::Exchange(&authn_, owner_, "run-1", absl::Hours(1),
                              &clock_);
  ASSERT_THAT(delegation, IsOk());
  clock_.Advance(absl::Milliseconds(1900));
  EXPECT_THAT((*delegation)->RenewIfDue(), IsOk());
  EXPECT_TRUE(authn_.renewals().empty());
  clock_.Advance(absl::Milliseconds(200));  // 0.9 s of 3 s left
  EXPECT_THAT((*delegation)->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals().size(), 1u);
  EXPECT_EQ((*delegation)->Current().assertion, "delegation-2");
}

TEST_F(RunDelegationTest, RefusedRenewalEndsTheRunsAuthority) {
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  authn_.FailRenewal(absl::FailedPreconditionError(
      "the credential the delegation came from is revoked or expired"));
  clock_.Advance(absl::Seconds(5));
  absl::Status renewed = delegation->RenewIfDue();
  EXPECT_THAT(renewed, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(renewed.message()), HasSubstr("revoked"));
  // It stays refused, without asking authn again.
  EXPECT_THAT(delegation->RenewIfDue(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(delegation->RenewIfDue(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(authn_.renewals().size(), 1u);
}

TEST_F(RunDelegationTest, UnreachableAuthnIsRetriedUntilTheGrantExpires) {
  authn_.set_ttl(absl::Seconds(30));
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  for (int i = 0; i < 10; ++i) {
    authn_.FailRenewal(absl::UnavailableError("authn unavailable"));
  }
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals().size(), 1u);
  // Not again before the retry interval.
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals().size(), 1u);
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals().size(), 2u);
  // The grant expires while authn is still away: the run must stop.
  clock_.Advance(absl::Seconds(25));
  EXPECT_THAT(delegation->RenewIfDue(),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(delegation->RenewIfDue(),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RunDelegationTest, UnreachableAuthnThatReturnsRenews) {
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  authn_.FailRenewal(absl::UnavailableError("authn unavailable"));
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(delegation->Current().assertion, "delegation-1");
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(delegation->Current().assertion, "delegation-2");
}

TEST_F(RunDelegationTest, EndEndsItAtAuthn) {
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  delegation->End();
  EXPECT_THAT(authn_.ended(), ::testing::ElementsAre(kId));
}

}  // namespace
}  // namespace bastion::runs
