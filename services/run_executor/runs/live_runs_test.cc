// Tests the live runs of a replica: followers get every event in order, a
// slow follower is told it lagged instead of blocking the run, a finished
// run finishes its followers, and the concurrency limits per owner and per
// tenant.
#include "services/run_executor/runs/live_runs.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;
using Next = Subscription::Next;

v1::RunEvent Event(int64_t seq) {
  v1::RunEvent event;
  event.set_seq(seq);
  event.mutable_model_output()->set_text(absl::StrCat("word ", seq));
  return event;
}

TEST(LiveRunsTest, FollowersSeeEventsInOrderThenTheEnd) {
  LiveRun run("r", "t", "alice", /*stream_buffer=*/8);
  std::shared_ptr<Subscription> early = run.Subscribe();
  run.Publish(Event(1));
  std::shared_ptr<Subscription> late = run.Subscribe();
  run.Publish(Event(2));
  run.Finish();
  v1::RunEvent event;
  ASSERT_EQ(early->Wait(absl::ZeroDuration(), &event), Next::kEvent);
  EXPECT_EQ(event.seq(), 1);
  ASSERT_EQ(early->Wait(absl::ZeroDuration(), &event), Next::kEvent);
  EXPECT_EQ(event.seq(), 2);
  EXPECT_EQ(early->Wait(absl::ZeroDuration(), &event), Next::kFinished);
  ASSERT_EQ(late->Wait(absl::ZeroDuration(), &event), Next::kEvent);
  EXPECT_EQ(event.seq(), 2);
  EXPECT_EQ(late->Wait(absl::ZeroDuration(), &event), Next::kFinished);
  // Subscribing after the end: finished at once.
  EXPECT_EQ(run.Subscribe()->Wait(absl::ZeroDuration(), &event), Next::kFinished);
}

TEST(LiveRunsTest, ASlowFollowerLagsInsteadOfBlockingTheRun) {
  LiveRun run("r", "t", "alice", /*stream_buffer=*/4);
  std::shared_ptr<Subscription> slow = run.Subscribe();
  std::shared_ptr<Subscription> fast = run.Subscribe();
  v1::RunEvent event;
  for (int seq = 1; seq <= 10; ++seq) {
    run.Publish(Event(seq));  // never waits for `slow`
    ASSERT_EQ(fast->Wait(absl::ZeroDuration(), &event), Next::kEvent);
    EXPECT_EQ(event.seq(), seq);
  }
  EXPECT_EQ(slow->Wait(absl::ZeroDuration(), &event), Next::kLagged);
  EXPECT_EQ(slow->Wait(absl::ZeroDuration(), &event), Next::kTimeout);
  // After lagging it gets what comes next (the rest is read from data).
  run.Publish(Event(11));
  EXPECT_EQ(slow->Wait(absl::ZeroDuration(), &event), Next::kEvent);
  EXPECT_EQ(event.seq(), 11);
}

TEST(LiveRunsTest, AGoneFollowerIsForgotten) {
  LiveRun run("r", "t", "alice", 4);
  run.Subscribe();  // dropped at once
  for (int seq = 1; seq <= 100; ++seq) run.Publish(Event(seq));
  run.Finish();
}

TEST(LiveRunsTest, CancelRemembersWho) {
  LiveRun run("r", "t", "alice", 4);
  EXPECT_FALSE(run.cancelled());
  run.Cancel("admin");
  run.Cancel("alice");
  EXPECT_TRUE(run.cancelled());
  EXPECT_EQ(run.cancelled_by(), "admin");
}

TEST(LiveRunsTest, LimitsPerOwnerAndPerTenant) {
  LiveRuns live;
  auto make = [](int n, const char* tenant, const char* user) {
    return std::make_shared<LiveRun>(absl::StrCat("r", n), tenant, user, 4);
  };
  EXPECT_THAT(live.Add(make(1, "t", "alice"), 2, 3), IsOk());
  EXPECT_THAT(live.Add(make(2, "t", "alice"), 2, 3), IsOk());
  absl::Status third = live.Add(make(3, "t", "alice"), 2, 3);
  EXPECT_THAT(third, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(std::string(third.message()), HasSubstr("you already have 2 runs"));
  EXPECT_THAT(live.Add(make(4, "t", "bob"), 2, 3), IsOk());
  absl::Status tenant = live.Add(make(5, "t", "carol"), 2, 3);
  EXPECT_THAT(tenant, StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(std::string(tenant.message()), HasSubstr("your tenant"));
  // Another tenant counts apart; a run that ends frees its place.
  EXPECT_THAT(live.Add(make(6, "u", "alice"), 2, 3), IsOk());
  live.Remove("r1");
  EXPECT_THAT(live.Add(make(7, "t", "alice"), 2, 3), IsOk());
  EXPECT_EQ(live.size(), 4u);
  EXPECT_NE(live.Find("r7"), nullptr);
  EXPECT_EQ(live.Find("r1"), nullptr);
}

}  // namespace
}  // namespace bastion::runs
