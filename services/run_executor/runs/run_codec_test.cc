// Tests how events and runs are stored: every kind round-trips through its
// record, a record whose payload does not match its type is refused, and
// the input survives as a JSON string.
#include "services/run_executor/runs/run_codec.h"

#include "common/status/status_matchers.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::StatusIs;

v1::RunEvent Parse(const std::string& text) {
  v1::RunEvent event;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &event));
  return event;
}

TEST(RunCodecTest, EveryKindRoundTrips) {
  for (const char* text : {
           "started { component_type: COMPONENT_TYPE_TEAM component_id: 'desk' session_id: 's' }",
           "model_output { text: 'h\\u00e9llo \"x\"' }",
           "tool_call { tool_call_id: 'call-1' tool_name: 'calculator' arguments_json: '{\"a\":1}' }",
           "tool_result { tool_call_id: 'call-1' content: 'no' is_error: true }",
           "paused { requirements { tool_call_id: 'call-2' requires_approval: true } }",
           "completed { output: 'done' }",
           "failed { message: 'the model failed' }",
           "cancelled { cancelled_by: 'alice' }"}) {
    const v1::RunEvent event = Parse(text);
    absl::StatusOr<data::v1::RunEventRecord> record = ToRecord(event);
    ASSERT_TRUE(record.ok()) << text;
    EXPECT_EQ(record->type(), EventKind(event));
    record->set_run_id("run-1");
    record->set_seq(7);
    record->set_created_at_unix_micros(1700000000123456);
    absl::StatusOr<v1::RunEvent> back = FromRecord(*record);
    ASSERT_TRUE(back.ok()) << text;
    v1::RunEvent expected = event;
    expected.set_run_id("run-1");
    expected.set_seq(7);
    expected.set_created_at_unix(1700000000);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*back, expected))
        << back->DebugString();
  }
}

TEST(RunCodecTest, KindsThatEndARun) {
  EXPECT_TRUE(EndsRun(Parse("completed {}")));
  EXPECT_TRUE(EndsRun(Parse("failed {}")));
  EXPECT_TRUE(EndsRun(Parse("cancelled {}")));
  EXPECT_TRUE(EndsRun(Parse("paused {}")));
  EXPECT_FALSE(EndsRun(Parse("started {}")));
  EXPECT_FALSE(EndsRun(Parse("tool_result {}")));
}

TEST(RunCodecTest, RefusesEventsWithoutPayloadAndMismatchedRecords) {
  EXPECT_THAT(ToRecord(v1::RunEvent()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  data::v1::RunEventRecord record;
  record.set_type("completed");
  record.set_payload_json(R"({"failed":{"message":"x"}})");
  EXPECT_THAT(FromRecord(record).status(), StatusIs(absl::StatusCode::kInternal));
  record.set_payload_json("not json");
  EXPECT_THAT(FromRecord(record).status(), StatusIs(absl::StatusCode::kInternal));
}

TEST(RunCodecTest, InputIsAJsonString) {
  const std::string input = "say \"hi\"\nand {braces}";
  EXPECT_EQ(InputJson(input), R"("say \"hi\"\nand {braces}")");
  EXPECT_EQ(InputOf(InputJson(input)), input);
  data::v1::RunRecord record;
  record.set_run_id("r");
  record.set_status(common::v1::RUN_STATUS_FAILED);
  record.set_error("boom");
  record.set_input_json(InputJson(input));
  const v1::Run run = ToRun(record);
  EXPECT_EQ(run.input(), input);
  EXPECT_EQ(run.error(), "boom");
}

TEST(RunCodecTest, AnEndingEventIsAppendedWithTheStatusItImplies) {
  v1::RunEvent completed;
  completed.mutable_completed()->set_output("done");
  absl::StatusOr<data::v1::AppendRunEventsRequest> append =
      EndAppend("run-1", completed, common::v1::RUN_STATUS_RUNNING);
  ASSERT_TRUE(append.ok()) << append.status();
  EXPECT_EQ(append->run_id(), "run-1");
  ASSERT_EQ(append->events_size(), 1);
  EXPECT_EQ(append->events(0).type(), "completed");
  EXPECT_EQ(append->end().expected_status(), common::v1::RUN_STATUS_RUNNING);
  EXPECT_EQ(append->end().status(), common::v1::RUN_STATUS_COMPLETED);
  EXPECT_EQ(append->end().output(), "done");

  v1::RunEvent failed;
  failed.mutable_failed()->set_message("boom");
  append = EndAppend("run-1", failed, common::v1::RUN_STATUS_PENDING);
  ASSERT_TRUE(append.ok()) << append.status();
  EXPECT_EQ(append->end().status(), common::v1::RUN_STATUS_FAILED);
  EXPECT_EQ(append->end().error(), "boom");
  EXPECT_TRUE(append->end().output().empty());

  v1::RunEvent paused;
  v1::ToolCall* call = paused.mutable_paused()->add_requirements();
  call->set_tool_call_id("c1");
  call->set_tool_name("restart");
  append = EndAppend("run-1", paused, common::v1::RUN_STATUS_RUNNING);
  ASSERT_TRUE(append.ok()) << append.status();
  EXPECT_EQ(append->end().status(), common::v1::RUN_STATUS_PAUSED);
  ASSERT_EQ(append->end().paused_tool_calls_size(), 1);
  EXPECT_EQ(append->end().paused_tool_calls(0).tool_call_id(), "c1");

  v1::RunEvent cancelled;
  cancelled.mutable_cancelled();
  append = EndAppend("run-1", cancelled, common::v1::RUN_STATUS_RUNNING);
  ASSERT_TRUE(append.ok()) << append.status();
  EXPECT_EQ(append->end().status(), common::v1::RUN_STATUS_CANCELLED);

  // Anything else ends nothing.
  v1::RunEvent output;
  output.mutable_model_output()->set_text("hi");
  EXPECT_THAT(EndAppend("run-1", output, common::v1::RUN_STATUS_RUNNING),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::runs
