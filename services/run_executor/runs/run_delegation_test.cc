// RunDelegation against a fake authn: the exchange, renewal when a third of
// the grant's life is left or the check interval has passed, a refusal
// that ends the run's authority, authn unreachable until the grant expires,
// and the end.
#include "services/run_executor/runs/run_delegation.h"

#include <deque>
#include <string>
#include <vector>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kId[] = "dlg_0123456789abcdef0123456789abcdef";

// Answers each call from a queue (a grant, or an error), recording what was
// asked. Renewals past the queue answer a fresh grant.
class FakeDelegations final : public DelegationClient {
 public:
  explicit FakeDelegations(const Clock* clock) : clock_(clock) {}

  authn::v1::DelegationGrant Grant(absl::Duration ttl) {
    authn::v1::DelegationGrant grant;
    grant.set_delegation_id(kId);
    grant.set_delegation("delegation-" + std::to_string(++grants_));
    grant.set_expires_at_unix(absl::ToUnixSeconds(clock_->Now() + ttl));
    grant.set_renewable_until_unix(
        absl::ToUnixSeconds(clock_->Now() + absl::Hours(1)));
    return grant;
  }

  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) override {
    exchanged_with.push_back(owner.assertion + " for " + run_id);
    if (!exchange_error.ok()) return exchange_error;
    return Grant(ttl);
  }
  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) override {
    renewals.push_back(delegation_id);
    if (!renew_errors.empty()) {
      absl::Status error = renew_errors.front();
      renew_errors.pop_front();
      return error;
    }
    return Grant(ttl);
  }
  absl::Status End(const std::string& delegation_id) override {
    ended.push_back(delegation_id);
    return absl::OkStatus();
  }
  // Runs started by a caller only: no schedule grants here.
  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller&, const std::string&) override {
    return absl::FailedPreconditionError("no schedule grants in this test");
  }
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string&, const std::string&) override {
    return absl::FailedPreconditionError("no schedule grants in this test");
  }
  absl::Status EndScheduleGrant(const std::string&) override {
    return absl::FailedPreconditionError("no schedule grants in this test");
  }

  absl::Duration ttl = absl::Seconds(300);
  absl::Status exchange_error;
  std::deque<absl::Status> renew_errors;
  std::vector<std::string> exchanged_with;
  std::vector<std::string> renewals;
  std::vector<std::string> ended;

 private:
  const Clock* const clock_;
  int grants_ = 0;
};

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
  EXPECT_THAT(authn_.exchanged_with,
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
  authn_.exchange_error = absl::UnavailableError("authn unavailable");
  EXPECT_THAT(RunDelegation::Exchange(&authn_, owner_, "run-1",
                                      absl::Seconds(5), &clock_),
              StatusIs(absl::StatusCode::kUnavailable));
  authn_.exchange_error = absl::PermissionDeniedError("not a holder");
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
  EXPECT_TRUE(authn_.renewals.empty());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_THAT(authn_.renewals, ::testing::ElementsAre(kId));
  EXPECT_EQ(delegation->Current().assertion, "delegation-2");
  // Confirmed just now: not due again before another interval.
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals.size(), 1u);
}

TEST_F(RunDelegationTest, RenewsWhenAThirdOfTheLifeIsLeft) {
  authn_.ttl = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<RunDelegation>> delegation =
      RunDelegation::Exchange(&authn_, owner_, "run-1", absl::Hours(1),
                              &clock_);
  ASSERT_THAT(delegation, IsOk());
  clock_.Advance(absl::Milliseconds(1900));
  EXPECT_THAT((*delegation)->RenewIfDue(), IsOk());
  EXPECT_TRUE(authn_.renewals.empty());
  clock_.Advance(absl::Milliseconds(200));  // 0.9 s of 3 s left
  EXPECT_THAT((*delegation)->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals.size(), 1u);
  EXPECT_EQ((*delegation)->Current().assertion, "delegation-2");
}

TEST_F(RunDelegationTest, RefusedRenewalEndsTheRunsAuthority) {
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  authn_.renew_errors.push_back(absl::FailedPreconditionError(
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
  EXPECT_EQ(authn_.renewals.size(), 1u);
}

TEST_F(RunDelegationTest, UnreachableAuthnIsRetriedUntilTheGrantExpires) {
  authn_.ttl = absl::Seconds(30);
  std::unique_ptr<RunDelegation> delegation = Exchange();
  ASSERT_NE(delegation, nullptr);
  for (int i = 0; i < 10; ++i) {
    authn_.renew_errors.push_back(absl::UnavailableError("authn unavailable"));
  }
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals.size(), 1u);
  // Not again before the retry interval.
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals.size(), 1u);
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_THAT(delegation->RenewIfDue(), IsOk());
  EXPECT_EQ(authn_.renewals.size(), 2u);
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
  authn_.renew_errors.push_back(absl::UnavailableError("authn unavailable"));
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
  EXPECT_THAT(authn_.ended, ::testing::ElementsAre(kId));
}

}  // namespace
}  // namespace bastion::runs
