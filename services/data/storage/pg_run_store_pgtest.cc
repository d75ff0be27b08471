// PgRunStore against a real PostgreSQL: lifecycle, compare-and-set, event
// numbering, component binding and isolation.
#include "services/data/storage/pg_run_store.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

v1::CreateRunRequest NewRun(const std::string& id,
                            const std::string& agent = "agent-x") {
  v1::CreateRunRequest r;
  r.set_run_id(id);
  r.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  r.set_component_id(agent);
  r.set_session_id("s1");
  r.set_input_json(R"({"message": "hi"})");
  return r;
}

v1::GetRunRequest Get(const std::string& id) {
  v1::GetRunRequest r;
  r.set_run_id(id);
  return r;
}

v1::AppendRunEventsRequest Events(const std::string& run,
                                  std::vector<std::string> types) {
  v1::AppendRunEventsRequest r;
  r.set_run_id(run);
  for (auto& t : types) {
    auto* e = r.add_events();
    e->set_type(t);
    e->set_payload_json(R"({"t": ")" + t + R"("})");
  }
  return r;
}

class PgRunStoreTest : public StoreTest {
 protected:
  int PoolSize() const override { return 4; }
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgRuns>(*pool_);
    ASSERT_THAT(store_->CreateRun(alice_, NewRun("r-alice")), IsOk());
  }
  std::unique_ptr<PgRuns> store_;
};

TEST_F(PgRunStoreTest, CreateGetAndPauseWithToolCalls) {
  v1::UpdateRunRequest pause;
  pause.set_run_id("r-alice");
  pause.set_expected_status(common::v1::RUN_STATUS_PENDING);
  pause.set_status(common::v1::RUN_STATUS_PAUSED);
  pause.set_update_paused_tool_calls(true);
  auto* call = pause.add_paused_tool_calls();
  call->set_tool_call_id("tc1");
  call->set_tool_name("transfer");
  call->set_arguments_json(R"({"amount": 10})");
  call->set_requires_approval(true);
  ASSERT_THAT(store_->UpdateRun(alice_, pause), IsOk());
  auto got = store_->GetRun(alice_, Get("r-alice"));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->run().status(), common::v1::RUN_STATUS_PAUSED);
  EXPECT_EQ(got->run().user_id(), "alice");
  ASSERT_EQ(got->run().paused_tool_calls_size(), 1);
  EXPECT_EQ(got->run().paused_tool_calls(0).arguments_json(),
            R"({"amount": 10})");
  EXPECT_TRUE(got->run().paused_tool_calls(0).requires_approval());
}

TEST_F(PgRunStoreTest, CompareAndSetStatus) {
  v1::UpdateRunRequest start;
  start.set_run_id("r-alice");
  start.set_expected_status(common::v1::RUN_STATUS_PENDING);
  start.set_status(common::v1::RUN_STATUS_RUNNING);
  ASSERT_THAT(store_->UpdateRun(alice_, start), IsOk());
  EXPECT_THAT(store_->UpdateRun(alice_, start),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->UpdateRun(bob_, start),
              StatusIs(absl::StatusCode::kNotFound));
  v1::UpdateRunRequest cancel;
  cancel.set_run_id("r-alice");
  cancel.set_request_cancel(true);
  auto cancelled = store_->UpdateRun(alice_, cancel);
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_TRUE(cancelled->cancel_requested());
  cancel.set_request_cancel(false);
  auto still = store_->UpdateRun(alice_, cancel);
  ASSERT_THAT(still, IsOk());
  EXPECT_TRUE(still->cancel_requested());  // Never cleared.
}

TEST_F(PgRunStoreTest, DelegationIdIsStoredAndChecked) {
  const std::string id = "dlg_0123456789abcdef0123456789abcdef";
  v1::UpdateRunRequest set;
  set.set_run_id("r-alice");
  set.set_update_delegation_id(true);
  set.set_delegation_id(id);
  auto stored = store_->UpdateRun(alice_, set);
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->delegation_id(), id);
  auto got = store_->GetRun(alice_, Get("r-alice"));
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->run().delegation_id(), id);
  // Kept by updates that do not name it.
  v1::UpdateRunRequest beat;
  beat.set_run_id("r-alice");
  auto kept = store_->UpdateRun(alice_, beat);
  ASSERT_THAT(kept, IsOk());
  EXPECT_EQ(kept->delegation_id(), id);

  for (const char* bad : {"dlg_0123", "dlg_0123456789ABCDEF0123456789abcdef",
                          "xyz_0123456789abcdef0123456789abcdef"}) {
    set.set_delegation_id(bad);
    EXPECT_THAT(store_->UpdateRun(alice_, set),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
    v1::CreateRunRequest create = NewRun("r-bad-delegation");
    create.set_delegation_id(bad);
    EXPECT_THAT(store_->CreateRun(alice_, create),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }

  // Or stored as the run is created.
  v1::CreateRunRequest create = NewRun("r-delegated");
  create.set_delegation_id(id);
  auto created = store_->CreateRun(alice_, create);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->delegation_id(), id);
  auto read = store_->GetRun(alice_, Get("r-delegated"));
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->run().delegation_id(), id);
}

// UpdateRun with only_when_session_idle: the start of an enqueued run.
TEST_F(PgRunStoreTest, StartsOnlyWhenTheSessionsEarlierRunsEnded) {
  ASSERT_THAT(store_->CreateRun(alice_, NewRun("r-later")), IsOk());
  v1::UpdateRunRequest start;
  start.set_run_id("r-later");
  start.set_expected_status(common::v1::RUN_STATUS_PENDING);
  start.set_status(common::v1::RUN_STATUS_RUNNING);
  start.set_only_when_session_idle(true);
  start.set_session_stale_after_ms(60 * 1000);

  // r-alice (earlier, pending) is in progress: nothing changes.
  EXPECT_THAT(store_->UpdateRun(alice_, start),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto waiting = store_->GetRun(alice_, Get("r-later"));
  ASSERT_THAT(waiting, IsOk());
  EXPECT_EQ(waiting->run().status(), common::v1::RUN_STATUS_PENDING);

  // The later run never holds back the earlier one.
  v1::UpdateRunRequest first = start;
  first.set_run_id("r-alice");
  ASSERT_THAT(store_->UpdateRun(alice_, first), IsOk());
  EXPECT_THAT(store_->UpdateRun(alice_, start),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // Another user's run (created earlier, same session id) is not counted;
  // a paused or ended run is not in progress.
  v1::UpdateRunRequest pause;
  pause.set_run_id("r-alice");
  pause.set_status(common::v1::RUN_STATUS_PAUSED);
  ASSERT_THAT(store_->UpdateRun(alice_, pause), IsOk());
  ASSERT_THAT(store_->UpdateRun(alice_, start), IsOk());

  // A wrong expected status still says so.
  auto again = store_->UpdateRun(alice_, start);
  EXPECT_THAT(again, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(again.status().message()),
              ::testing::HasSubstr("expected status"));
}

TEST_F(PgRunStoreTest, SessionCheckSkipsStaleRunsAndRunsWithoutSession) {
  ASSERT_THAT(store_->CreateRun(alice_, NewRun("r-later")), IsOk());
  v1::UpdateRunRequest start;
  start.set_run_id("r-later");
  start.set_only_when_session_idle(true);
  start.set_session_stale_after_ms(60 * 1000);
  auto busy = store_->UpdateRun(alice_, start);
  EXPECT_THAT(busy, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(busy.status().message()),
              ::testing::HasSubstr("earlier run in progress"));
  // r-alice's record is older than 1 ms by now: its replica counts as
  // stopped.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  start.set_session_stale_after_ms(1);
  EXPECT_THAT(store_->UpdateRun(alice_, start), IsOk());

  v1::CreateRunRequest alone = NewRun("r-alone");
  alone.set_session_id("");
  ASSERT_THAT(store_->CreateRun(alice_, alone), IsOk());
  v1::CreateRunRequest alone2 = NewRun("r-alone-2");
  alone2.set_session_id("");
  ASSERT_THAT(store_->CreateRun(alice_, alone2), IsOk());
  start.set_run_id("r-alone-2");
  start.set_session_stale_after_ms(60 * 1000);
  EXPECT_THAT(store_->UpdateRun(alice_, start), IsOk());

  // Bob cannot use it to learn about alice's session.
  EXPECT_THAT(store_->UpdateRun(bob_, start),
              StatusIs(absl::StatusCode::kNotFound));
  start.set_session_stale_after_ms(0);
  EXPECT_THAT(store_->UpdateRun(alice_, start),
              StatusIs(absl::StatusCode::kInvalidArgument));
  start.set_session_stale_after_ms(int64_t{24} * 60 * 60 * 1000 + 1);
  EXPECT_THAT(store_->UpdateRun(alice_, start),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PgRunStoreTest, ForeignRunOrWrongComponentIsNotFound) {
  EXPECT_THAT(store_->GetRun(bob_, Get("r-alice")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetRun(carol_, Get("r-alice")),
              StatusIs(absl::StatusCode::kNotFound));
  auto wrong = Get("r-alice");
  wrong.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  wrong.set_component_id("agent-y");
  EXPECT_THAT(store_->GetRun(alice_, wrong),
              StatusIs(absl::StatusCode::kNotFound));
  wrong.set_component_id("agent-x");
  wrong.set_component_type(common::v1::COMPONENT_TYPE_TEAM);
  EXPECT_THAT(store_->GetRun(alice_, wrong),
              StatusIs(absl::StatusCode::kNotFound));
  wrong.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  EXPECT_THAT(store_->GetRun(alice_, wrong), IsOk());
  EXPECT_THAT(store_->AppendRunEvents(bob_, Events("r-alice", {"forged"})),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->CreateRun(bob_, NewRun("r-alice")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  v1::ListRunsRequest list;
  list.set_user_id("alice");
  auto bobs = store_->ListRuns(bob_, list);
  ASSERT_THAT(bobs, IsOk());
  EXPECT_EQ(bobs->runs_size(), 0);
}

TEST_F(PgRunStoreTest, EventsAreNumberedAndReplayable) {
  auto first = store_->AppendRunEvents(alice_, Events("r-alice", {"started", "model_output"}));
  ASSERT_THAT(first, IsOk());
  ASSERT_EQ(first->events_size(), 2);
  EXPECT_EQ(first->events(0).seq(), 1);
  EXPECT_EQ(first->events(1).seq(), 2);
  ASSERT_THAT(store_->AppendRunEvents(alice_, Events("r-alice", {"completed"})),
              IsOk());
  auto get = Get("r-alice");
  get.set_include_events(true);
  get.set_events_after_seq(1);
  auto replay = store_->GetRun(alice_, get);
  ASSERT_THAT(replay, IsOk());
  ASSERT_EQ(replay->events_size(), 2);
  EXPECT_EQ(replay->events(0).type(), "model_output");
  EXPECT_EQ(replay->events(1).seq(), 3);
  EXPECT_EQ(replay->events(1).payload_json(), R"({"t": "completed"})");
}

// The end of a run is stored with its final event, or not at all.
TEST_F(PgRunStoreTest, TheEndAndItsEventAreStoredTogether) {
  v1::CreateRunRequest running = NewRun("r-end");
  running.set_status(common::v1::RUN_STATUS_RUNNING);
  ASSERT_THAT(store_->CreateRun(alice_, running), IsOk());
  ASSERT_THAT(store_->AppendRunEvents(alice_, Events("r-end", {"started"})),
              IsOk());
  auto events_of = [this](const std::string& run) {
    auto get = Get(run);
    get.set_include_events(true);
    auto got = store_->GetRun(alice_, get);
    EXPECT_THAT(got, IsOk());
    return got.ok() ? *got : v1::GetRunResponse();
  };

  // Expecting the wrong status (another replica failed it after its
  // lease): nothing is stored.
  v1::AppendRunEventsRequest stale = Events("r-end", {"completed"});
  stale.mutable_end()->set_expected_status(common::v1::RUN_STATUS_PENDING);
  stale.mutable_end()->set_status(common::v1::RUN_STATUS_COMPLETED);
  stale.mutable_end()->set_output("done");
  EXPECT_THAT(store_->AppendRunEvents(alice_, stale),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(events_of("r-end").events_size(), 1);
  EXPECT_EQ(events_of("r-end").run().status(), common::v1::RUN_STATUS_RUNNING);

  // Someone else's run is as missing.
  v1::AppendRunEventsRequest end = stale;
  end.mutable_end()->set_expected_status(common::v1::RUN_STATUS_RUNNING);
  EXPECT_THAT(store_->AppendRunEvents(bob_, end),
              StatusIs(absl::StatusCode::kNotFound));

  auto ended = store_->AppendRunEvents(alice_, end);
  ASSERT_THAT(ended, IsOk());
  ASSERT_EQ(ended->events_size(), 1);
  EXPECT_EQ(ended->events(0).seq(), 2);
  const v1::GetRunResponse stored = events_of("r-end");
  EXPECT_EQ(stored.run().status(), common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(stored.run().output(), "done");
  ASSERT_EQ(stored.events_size(), 2);
  EXPECT_EQ(stored.events(1).type(), "completed");
  // Only once: a retry finds it ended.
  EXPECT_THAT(store_->AppendRunEvents(alice_, end),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(events_of("r-end").events_size(), 2);

  // A pause stores the calls it waits on; an end that is no end is refused.
  v1::CreateRunRequest pausing = NewRun("r-pause");
  pausing.set_status(common::v1::RUN_STATUS_RUNNING);
  ASSERT_THAT(store_->CreateRun(alice_, pausing), IsOk());
  v1::AppendRunEventsRequest pause = Events("r-pause", {"paused"});
  pause.mutable_end()->set_expected_status(common::v1::RUN_STATUS_RUNNING);
  pause.mutable_end()->set_status(common::v1::RUN_STATUS_RUNNING);
  EXPECT_THAT(store_->AppendRunEvents(alice_, pause),
              StatusIs(absl::StatusCode::kInvalidArgument));
  pause.mutable_end()->set_status(common::v1::RUN_STATUS_PAUSED);
  pause.mutable_end()->set_output("not for a pause");
  EXPECT_THAT(store_->AppendRunEvents(alice_, pause),
              StatusIs(absl::StatusCode::kInvalidArgument));
  pause.mutable_end()->clear_output();
  v1::PausedToolCall* call = pause.mutable_end()->add_paused_tool_calls();
  call->set_tool_call_id("c1");
  call->set_tool_name("restart");
  call->set_arguments_json("{}");
  call->set_requires_confirmation(true);
  ASSERT_THAT(store_->AppendRunEvents(alice_, pause), IsOk());
  const v1::GetRunResponse paused = events_of("r-pause");
  EXPECT_EQ(paused.run().status(), common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(paused.run().paused_tool_calls_size(), 1);
  EXPECT_EQ(paused.run().paused_tool_calls(0).tool_call_id(), "c1");
}

TEST_F(PgRunStoreTest, ConcurrentAppendsGetDistinctSeqs) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (!store_->AppendRunEvents(alice_, Events("r-alice", {"tick"})).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto get = Get("r-alice");
  get.set_include_events(true);
  auto all = store_->GetRun(alice_, get);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->events_size(), 40);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(all->events(i).seq(), i + 1);
}

TEST_F(PgRunStoreTest, RejectsBadInput) {
  auto bad = NewRun("r-x");
  bad.set_input_json("{oops");
  EXPECT_THAT(store_->CreateRun(alice_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  auto events = Events("r-alice", {"x"});
  events.mutable_events(0)->set_payload_json("not json");
  EXPECT_THAT(store_->AppendRunEvents(alice_, events),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::data::storage
