// DataRecorder writes a run's events behind the run: one append in flight,
// the events queued meanwhile sent together in the next; each event is
// published only once data has numbered it, in order; a failed append
// stops the run at its next event; the event that ends the run waits for
// every earlier event and the run's spans, which go in one batch.
#include "services/run_executor/runs/data_recorder.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

// Appends are held until the test answers them; everything else is
// answered at once. Thread-safe.
class HeldRunData final : public RunData {
 public:
  absl::StatusOr<data::v1::Session> GetSession(
      const Caller&, const data::v1::GetSessionRequest&) override {
    return absl::UnimplementedError("not used by the recorder");
  }
  absl::StatusOr<data::v1::Session> CreateSession(
      const Caller&, const data::v1::CreateSessionRequest&) override {
    return absl::UnimplementedError("not used by the recorder");
  }
  absl::StatusOr<data::v1::RunRecord> CreateRun(
      const Caller&, const data::v1::CreateRunRequest&) override {
    return absl::UnimplementedError("not used by the recorder");
  }
  absl::StatusOr<data::v1::GetRunResponse> GetRun(
      const Caller&, const data::v1::GetRunRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    data::v1::GetRunResponse response;
    response.mutable_run()->set_run_id(request.run_id());
    response.mutable_run()->set_status(status_);
    for (const data::v1::RunEventRecord& event : events_) {
      if (event.seq() > request.events_after_seq()) {
        *response.add_events() = event;
      }
    }
    return response;
  }
  absl::StatusOr<data::v1::ListRunsResponse> ListRuns(
      const Caller&, const data::v1::ListRunsRequest&) override {
    return absl::UnimplementedError("not used by the recorder");
  }
  absl::StatusOr<data::v1::RunRecord> UpdateRun(
      const Caller&, const data::v1::UpdateRunRequest&) override {
    return absl::UnimplementedError("not used by the recorder");
  }
  absl::StatusOr<data::v1::AppendRunEventsResponse> AppendRunEvents(
      const Caller&, const data::v1::AppendRunEventsRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (request.has_end()) {
      if (status_ != request.end().expected_status()) {
        return absl::FailedPreconditionError("run is not in the expected status");
      }
      status_ = request.end().status();
      log_.push_back(absl::StrCat(
          "End ", static_cast<int>(request.end().status())));
    }
    data::v1::AppendRunEventsResponse stored = Store(request);
    if (request.has_end() && lose_end_answer_) {
      lose_end_answer_ = false;
      return absl::UnavailableError("data unavailable");
    }
    return stored;
  }
  void AppendRunEventsAsync(const Caller&,
                            data::v1::AppendRunEventsRequest request,
                            AppendDone done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    held_.push_back({std::move(request), std::move(done)});
    arrived_.notify_all();
  }
  absl::Status AppendSpans(const Caller&,
                           const data::v1::AppendSpansRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    log_.push_back(absl::StrCat("AppendSpans ", request.spans_size()));
    return absl::OkStatus();
  }
  absl::StatusOr<data::v1::Approval> CreateApproval(
      const Caller&, const data::v1::CreateApprovalRequest&) override {
    return absl::UnimplementedError("not used by these tests");
  }
  absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller&, const data::v1::GetApprovalRequest&) override {
    return absl::UnimplementedError("not used by these tests");
  }

  // Waits until an append is held; answers it by storing its events (or
  // with `failure`) and returns how many events it carried.
  int AnswerOne(absl::Status failure = absl::OkStatus()) {
    Held held;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      arrived_.wait(lock, [this] { return !held_.empty(); });
      held = std::move(held_.front());
      held_.pop_front();
    }
    const int events = held.request.events_size();
    if (!failure.ok()) {
      held.done(std::move(failure));
      return events;
    }
    data::v1::AppendRunEventsResponse stored;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stored = Store(held.request);
    }
    held.done(std::move(stored));
    return events;
  }
  // The next end is stored, but its answer is lost (UNAVAILABLE).
  void LoseEndAnswer() {
    std::lock_guard<std::mutex> lock(mutex_);
    lose_end_answer_ = true;
  }
  size_t held() {
    std::lock_guard<std::mutex> lock(mutex_);
    return held_.size();
  }
  // "Append <types>", "UpdateRun <status>", "AppendSpans <n>" in order.
  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }

 private:
  struct Held {
    data::v1::AppendRunEventsRequest request;
    AppendDone done;
  };

  // mutex_ held.
  data::v1::AppendRunEventsResponse Store(
      const data::v1::AppendRunEventsRequest& request) {
    data::v1::AppendRunEventsResponse response;
    std::string types;
    for (data::v1::RunEventRecord event : request.events()) {
      event.set_seq(++seq_);
      events_.push_back(event);
      absl::StrAppend(&types, types.empty() ? "" : ",", event.type());
      *response.add_events() = std::move(event);
    }
    log_.push_back(absl::StrCat("Append ", types));
    return response;
  }

  // std::mutex: ThreadSanitizer sees its synchronization.
  std::mutex mutex_;
  std::condition_variable arrived_;
  // Guarded by mutex_.
  std::deque<Held> held_;
  std::vector<std::string> log_;
  int64_t seq_ = 0;
  std::vector<data::v1::RunEventRecord> events_;
  common::v1::RunStatus status_ = common::v1::RUN_STATUS_RUNNING;
  bool lose_end_answer_ = false;
};

v1::RunEvent Output(const std::string& text) {
  v1::RunEvent event;
  event.mutable_model_output()->set_text(text);
  return event;
}

v1::RunEvent Completed() {
  v1::RunEvent event;
  event.mutable_completed()->set_output("done");
  return event;
}

data::v1::Span Span(const std::string& id) {
  data::v1::Span span;
  span.set_trace_id("run-1");
  span.set_span_id(id);
  span.set_name(id);
  return span;
}

class DataRecorderTest : public ::testing::Test {
 protected:
  DataRecorderTest()
      : owner_(Caller{}),
        live_("run-1", "t1", "alice", /*stream_buffer=*/100),
        followed_(live_.Subscribe()) {}

  std::unique_ptr<DataRecorder> NewRecorder() {
    return std::make_unique<DataRecorder>(
        &data_, &owner_, &live_, common::v1::RUN_STATUS_RUNNING,
        [] { return absl::OkStatus(); }, absl::Hours(1));
  }

  // The (seq, text) of the events published so far.
  std::vector<std::pair<int64_t, std::string>> Published() {
    std::vector<std::pair<int64_t, std::string>> published;
    v1::RunEvent event;
    while (followed_->Wait(absl::ZeroDuration(), &event) ==
           Subscription::Next::kEvent) {
      published.emplace_back(event.seq(), event.has_completed()
                                              ? "completed"
                                              : event.model_output().text());
    }
    return published;
  }

  HeldRunData data_;
  FixedRunCaller owner_;
  LiveRun live_;
  std::shared_ptr<Subscription> followed_;
};

TEST_F(DataRecorderTest, EventsQueuedBehindAnAppendGoTogetherInTheNext) {
  std::unique_ptr<DataRecorder> recorder = NewRecorder();
  ASSERT_THAT(recorder->Record(Output("a")), IsOk());
  // Not waited for: the run goes on while "a" is being stored.
  for (const char* text : {"b", "c", "d"}) {
    ASSERT_THAT(recorder->Record(Output(text)), IsOk());
  }
  EXPECT_EQ(data_.held(), 1u);
  EXPECT_TRUE(Published().empty());  // nothing before data numbered it

  EXPECT_EQ(data_.AnswerOne(), 1);
  EXPECT_EQ(data_.AnswerOne(), 3);
  EXPECT_THAT(Published(), ElementsAre(std::pair<int64_t, std::string>{1, "a"},
                                       std::pair<int64_t, std::string>{2, "b"},
                                       std::pair<int64_t, std::string>{3, "c"},
                                       std::pair<int64_t, std::string>{4, "d"}));
}

TEST_F(DataRecorderTest, TheEndWaitsForEveryEarlierEventAndTheSpans) {
  std::unique_ptr<DataRecorder> recorder = NewRecorder();
  ASSERT_THAT(recorder->Record(Output("a")), IsOk());
  ASSERT_THAT(recorder->Record(Output("b")), IsOk());
  ASSERT_THAT(recorder->RecordSpan(Span("model")), IsOk());
  ASSERT_THAT(recorder->RecordSpan(Span("run")), IsOk());
  EXPECT_TRUE(data_.log().empty());  // spans wait for a batch

  absl::Status ended;
  std::thread run([&] { ended = recorder->Record(Completed()); });
  EXPECT_EQ(data_.AnswerOne(), 1);
  EXPECT_EQ(data_.AnswerOne(), 1);
  run.join();
  ASSERT_THAT(ended, IsOk());
  EXPECT_THAT(data_.log(),
              ElementsAre("Append model_output", "Append model_output",
                          "AppendSpans 2",
                          absl::StrCat("End ",
                                       static_cast<int>(
                                           common::v1::RUN_STATUS_COMPLETED)),
                          "Append completed"));
  EXPECT_THAT(Published(), ElementsAre(std::pair<int64_t, std::string>{1, "a"},
                                       std::pair<int64_t, std::string>{2, "b"},
                                       std::pair<int64_t, std::string>{3, "completed"}));
}

TEST_F(DataRecorderTest, AFailedAppendStopsTheRunAtItsNextEvent) {
  std::unique_ptr<DataRecorder> recorder = NewRecorder();
  ASSERT_THAT(recorder->Record(Output("a")), IsOk());
  ASSERT_THAT(recorder->Record(Output("b")), IsOk());
  data_.AnswerOne(absl::PermissionDeniedError("delegation ended"));
  EXPECT_THAT(recorder->Record(Output("c")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // The queued "b" was dropped with it, and the end is refused too: no
  // final status is written for a run whose events were lost.
  EXPECT_THAT(recorder->Record(Completed()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(data_.log().empty());
  EXPECT_TRUE(Published().empty());
}

TEST_F(DataRecorderTest, ManySpansGoInBatchesWithoutWaitingForTheEnd) {
  std::unique_ptr<DataRecorder> recorder = NewRecorder();
  for (size_t i = 0; i < DataRecorder::kSpanBatch; ++i) {
    ASSERT_THAT(recorder->RecordSpan(Span(absl::StrCat("s", i))), IsOk());
  }
  EXPECT_THAT(data_.log(),
              ElementsAre(absl::StrCat("AppendSpans ", DataRecorder::kSpanBatch)));
  // The rest is sent when the recorder goes, even without an end.
  ASSERT_THAT(recorder->RecordSpan(Span("last")), IsOk());
  recorder.reset();
  EXPECT_EQ(data_.log().back(), "AppendSpans 1");
}

TEST_F(DataRecorderTest, AnEndStoredWithoutAnAnswerIsRecognised) {
  std::unique_ptr<DataRecorder> recorder = NewRecorder();
  ASSERT_THAT(recorder->Record(Output("a")), IsOk());
  data_.AnswerOne();
  // data stores the end but the answer is lost; the retry finds the run
  // completed with exactly this event after "a": the end is done, once.
  data_.LoseEndAnswer();
  ASSERT_THAT(recorder->Record(Completed()), IsOk());
  EXPECT_THAT(data_.log(),
              ElementsAre("Append model_output",
                          absl::StrCat("End ",
                                       static_cast<int>(
                                           common::v1::RUN_STATUS_COMPLETED)),
                          "Append completed"));
  EXPECT_THAT(Published(), ElementsAre(std::pair<int64_t, std::string>{1, "a"},
                                       std::pair<int64_t, std::string>{2, "completed"}));
}

}  // namespace
}  // namespace bastion::runs
