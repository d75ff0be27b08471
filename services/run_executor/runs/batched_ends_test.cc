#include "services/run_executor/runs/batched_ends.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/run_executor/runs/fake_delegations.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Forwards to a fake the test owns, so that the fake outlives the client
// under test.
class Borrowed final : public DelegationClient {
 public:
  explicit Borrowed(FakeDelegations* fake) : fake_(fake) {}
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) override {
    return fake_->ExchangeForRun(owner, run_id);
  }
  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) override {
    return fake_->Renew(delegation_id);
  }
  absl::Status End(const std::string& delegation_id) override {
    return fake_->End(delegation_id);
  }
  absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<std::string>& delegation_ids) override {
    return fake_->EndMany(delegation_ids);
  }
  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) override {
    return fake_->ExchangeForSchedule(owner, schedule_id);
  }
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) override {
    return fake_->ExchangeScheduleForRun(grant_id, run_id);
  }
  absl::Status EndScheduleGrant(const std::string& grant_id) override {
    return fake_->EndScheduleGrant(grant_id);
  }

 private:
  FakeDelegations* const fake_;
};

class BatchedEndsTest : public ::testing::Test {
 protected:
  std::unique_ptr<DelegationClient> Batching(BatchedEndsOptions options) {
    return BatchEnds(std::make_unique<Borrowed>(&fake_), options);
  }

  // Waits (up to 10 s) until the fake has ended `count` ids.
  bool EndedCount(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (fake_.ended().size() < count) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  FakeClock clock_{absl::FromUnixSeconds(1900000000)};
  FakeDelegations fake_{&clock_};
};

TEST_F(BatchedEndsTest, EndsCloseTogetherGoInOneCall) {
  BatchedEndsOptions options;
  options.delay = absl::Milliseconds(300);
  auto client = Batching(options);
  for (const char* id : {"dlg_a", "dlg_b", "dlg_c"}) {
    EXPECT_THAT(client->End(id), IsOk());
  }
  // Answered at once; sent once the first has waited the delay.
  EXPECT_THAT(fake_.ended(), IsEmpty());
  ASSERT_TRUE(EndedCount(3));
  EXPECT_THAT(fake_.end_batches(),
              ElementsAre(ElementsAre("dlg_a", "dlg_b", "dlg_c")));
}

TEST_F(BatchedEndsTest, AFullBatchIsSentWithoutWaiting) {
  BatchedEndsOptions options;
  options.delay = absl::Hours(1);
  options.batch = 2;
  auto client = Batching(options);
  for (const char* id : {"dlg_a", "dlg_b", "dlg_c"}) {
    EXPECT_THAT(client->End(id), IsOk());
  }
  ASSERT_TRUE(EndedCount(2));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_THAT(fake_.end_batches(), ElementsAre(ElementsAre("dlg_a", "dlg_b")));
}

TEST_F(BatchedEndsTest, WhatIsQueuedIsSentWhenTheClientEnds) {
  BatchedEndsOptions options;
  options.delay = absl::Hours(1);
  auto client = Batching(options);
  EXPECT_THAT(client->End("dlg_a"), IsOk());
  EXPECT_THAT(client->End("dlg_b"), IsOk());
  client.reset();
  EXPECT_THAT(fake_.end_batches(), ElementsAre(ElementsAre("dlg_a", "dlg_b")));
}

TEST_F(BatchedEndsTest, AnUnreachableAuthnIsRetried) {
  fake_.FailEndMany(absl::UnavailableError("authn is down"));
  BatchedEndsOptions options;
  options.delay = absl::Milliseconds(10);
  options.retry_interval = absl::Milliseconds(10);
  auto client = Batching(options);
  EXPECT_THAT(client->End("dlg_a"), IsOk());
  ASSERT_TRUE(EndedCount(1));
  EXPECT_THAT(fake_.end_batches(), ElementsAre(ElementsAre("dlg_a")));
}

TEST_F(BatchedEndsTest, ARefusalOrTooManyFailuresDropTheBatch) {
  fake_.FailEndMany(absl::PermissionDeniedError("not a holder"));
  for (int i = 0; i < 2; ++i) {
    fake_.FailEndMany(absl::UnavailableError("authn is down"));
  }
  BatchedEndsOptions options;
  options.delay = absl::Milliseconds(10);
  options.retry_interval = absl::Milliseconds(10);
  options.attempts = 2;
  auto client = Batching(options);
  // Refused: not retried.
  EXPECT_THAT(client->End("dlg_refused"), IsOk());
  // Unavailable twice: dropped after two attempts (logged).
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_THAT(client->End("dlg_dropped"), IsOk());
  absl::SleepFor(absl::Milliseconds(200));
  // The next batch goes through.
  EXPECT_THAT(client->End("dlg_next"), IsOk());
  ASSERT_TRUE(EndedCount(1));
  EXPECT_THAT(fake_.end_batches(), ElementsAre(ElementsAre("dlg_next")));
}

TEST_F(BatchedEndsTest, EverythingElseGoesStraightThrough) {
  BatchedEndsOptions options;
  options.delay = absl::Hours(1);
  auto client = Batching(options);
  Caller owner;
  owner.assertion = "alice's assertion";
  auto grant = client->ExchangeForRun(owner, "run-R");
  ASSERT_THAT(grant, IsOk());
  EXPECT_THAT(fake_.exchanged(), ElementsAre("alice's assertion for run-R"));
  EXPECT_THAT(client->Renew(grant->delegation_id()), IsOk());
  EXPECT_THAT(fake_.renewals(), ElementsAre(grant->delegation_id()));
  auto ended = client->EndMany({"dlg_now"});
  ASSERT_THAT(ended, IsOk());
  EXPECT_THAT(*ended, ElementsAre("dlg_now"));
}

}  // namespace
}  // namespace bastion::runs
