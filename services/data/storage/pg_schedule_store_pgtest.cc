// PgScheduleStore against a real PostgreSQL: scope snapshot from the
// principal, isolation, and exclusive claims.
#include "services/data/storage/pg_schedule_store.h"

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

// A grant id as authn makes them.
constexpr char kGrant[] = "sgr_0123456789abcdef0123456789abcdef";

v1::CreateScheduleRequest NewSchedule(const std::string& id, int64_t next) {
  v1::CreateScheduleRequest r;
  r.set_grant_id(kGrant);
  r.set_schedule_id(id);
  r.set_component_type(common::v1::COMPONENT_TYPE_WORKFLOW);
  r.set_component_id("nightly");
  r.set_cron("0 3 * * *");
  r.set_next_run_at_unix_micros(next);
  return r;
}

class PgScheduleStoreTest : public StoreTest {
 protected:
  int PoolSize() const override { return 4; }
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgSchedules>(*pool_);
  }
  // Due times in the past: the claim compares with the database clock.
  const int64_t past_ = absl::ToUnixMicros(absl::Now()) - 3600LL * 1000000;
  const int64_t future_ = absl::ToUnixMicros(absl::Now()) + 3600LL * 1000000;
  std::unique_ptr<PgSchedules> store_;
};

TEST_F(PgScheduleStoreTest, ScopesComeFromThePrincipal) {
  const auto creator =
      MakeCaller("t1", "alice", {"agents:run", "sessions:read"});
  auto s = store_->CreateSchedule(creator, NewSchedule("sc1", future_));
  ASSERT_THAT(s, IsOk());
  ASSERT_EQ(s->scopes_size(), 2);
  EXPECT_EQ(s->scopes(0), "agents:run");
  EXPECT_EQ(s->user_id(), "alice");
  EXPECT_EQ(s->timezone(), "UTC");
  EXPECT_EQ(s->next_run_at_unix_micros(), future_);
}

TEST_F(PgScheduleStoreTest, OtherUsersScheduleIsNotFound) {
  ASSERT_THAT(store_->CreateSchedule(alice_, NewSchedule("sc1", future_)),
              IsOk());
  v1::GetScheduleRequest get;
  get.set_schedule_id("sc1");
  EXPECT_THAT(store_->GetSchedule(bob_, get),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetSchedule(carol_, get),
              StatusIs(absl::StatusCode::kNotFound));
  v1::UpdateScheduleRequest disable;
  disable.set_schedule_id("sc1");
  disable.set_update_enabled(true);
  EXPECT_THAT(store_->UpdateSchedule(bob_, disable),
              StatusIs(absl::StatusCode::kNotFound));
  v1::DeleteScheduleRequest del;
  del.set_schedule_id("sc1");
  EXPECT_THAT(store_->DeleteSchedule(bob_, del),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteSchedule(alice_, del), IsOk());
}

TEST_F(PgScheduleStoreTest, ClaimsAreExclusiveAndScoped) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_THAT(store_->CreateSchedule(
                    i % 2 ? alice_ : carol_,
                    NewSchedule("due" + std::to_string(i), past_)),
                IsOk());
  }
  ASSERT_THAT(store_->CreateSchedule(alice_, NewSchedule("later", future_)),
              IsOk());
  // Only the scheduler (a service's own call) claims: a user or an admin,
  // even a platform admin, claiming would hold schedules back from it for
  // the lease.
  v1::ClaimDueSchedulesRequest claim;
  claim.set_claimer_id("replica-x");
  claim.set_limit(100);
  claim.set_lease_seconds(60);
  EXPECT_THAT(store_->ClaimDueSchedules(bob_, claim),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store_->ClaimDueSchedules(alice_, claim),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store_->ClaimDueSchedules(t1_admin_, claim),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store_->ClaimDueSchedules(platform_, claim),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A user's principal relayed by a service is no scheduler either.
  Caller relayed = alice_;
  relayed.calling_service = "service:run_executor";
  EXPECT_THAT(store_->ClaimDueSchedules(relayed, claim),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // Scheduler replicas race; each due schedule is claimed exactly once.
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      v1::ClaimDueSchedulesRequest r;
      r.set_claimer_id("replica-" + std::to_string(t));
      r.set_limit(2);
      r.set_lease_seconds(60);
      for (int i = 0; i < 3; ++i) {
        auto got = store_->ClaimDueSchedules(scheduler_, r);
        if (!got.ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& s : got->schedules()) claimed.insert(s.schedule_id());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.size(), 6u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 6u);
  EXPECT_EQ(claimed.count("later"), 0u);
}

TEST_F(PgScheduleStoreTest, AScheduleWithoutAGrantNeverFires) {
  v1::CreateScheduleRequest ungranted = NewSchedule("bare", past_);
  ungranted.clear_grant_id();
  ASSERT_THAT(store_->CreateSchedule(alice_, ungranted), IsOk());
  v1::ClaimDueSchedulesRequest claim;
  claim.set_claimer_id("replica-1");
  claim.set_limit(100);
  claim.set_lease_seconds(60);
  auto claimed = store_->ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_EQ(claimed->schedules_size(), 0);

  v1::CreateScheduleRequest forged = NewSchedule("forged", past_);
  forged.set_grant_id("sgr_not-hex");
  EXPECT_THAT(store_->CreateSchedule(alice_, forged),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PgScheduleStoreTest, AdvancingEndsTheClaimAndSetsTheNextRun) {
  ASSERT_THAT(store_->CreateSchedule(alice_, NewSchedule("due", past_)),
              IsOk());
  v1::ClaimDueSchedulesRequest claim;
  claim.set_claimer_id("replica-1");
  claim.set_limit(100);
  claim.set_lease_seconds(60);
  auto claimed = store_->ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  ASSERT_EQ(claimed->schedules_size(), 1);
  EXPECT_EQ(claimed->schedules(0).grant_id(), kGrant);
  EXPECT_EQ(claimed->schedules(0).tenant_id(), "t1");

  v1::AdvanceScheduleRequest advance;
  advance.set_tenant_id("t1");
  advance.set_schedule_id("due");
  advance.set_claimer_id("replica-2");
  advance.set_next_run_at_unix_micros(future_);
  // Only the claimer advances, only the scheduler.
  EXPECT_THAT(store_->AdvanceSchedule(scheduler_, advance),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  advance.set_claimer_id("replica-1");
  EXPECT_THAT(store_->AdvanceSchedule(platform_, advance),
              StatusIs(absl::StatusCode::kPermissionDenied));
  auto advanced = store_->AdvanceSchedule(scheduler_, advance);
  ASSERT_THAT(advanced, IsOk());
  EXPECT_EQ(advanced->next_run_at_unix_micros(), future_);
  EXPECT_TRUE(advanced->enabled());
  // Its claim is over: advancing again is refused, and it is not due.
  EXPECT_THAT(store_->AdvanceSchedule(scheduler_, advance),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  claimed = store_->ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_EQ(claimed->schedules_size(), 0);

  // Disabling: a grant that can no longer run it stops it.
  ASSERT_THAT(store_->CreateSchedule(alice_, NewSchedule("due2", past_)),
              IsOk());
  claimed = store_->ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  ASSERT_EQ(claimed->schedules_size(), 1);
  advance.set_schedule_id("due2");
  advance.set_next_run_at_unix_micros(past_);
  advance.set_disable(true);
  advanced = store_->AdvanceSchedule(scheduler_, advance);
  ASSERT_THAT(advanced, IsOk());
  EXPECT_FALSE(advanced->enabled());
  claimed = store_->ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_EQ(claimed->schedules_size(), 0);
}

TEST_F(PgScheduleStoreTest, RejectsBadCron) {
  auto bad = NewSchedule("sc2", future_);
  bad.set_cron("* * *");
  EXPECT_THAT(store_->CreateSchedule(alice_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad.set_cron("0 3 * * *; DROP");
  EXPECT_THAT(store_->CreateSchedule(alice_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::data::storage
