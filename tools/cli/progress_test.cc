// The progress display of a followed run: what people see for each event
// (with and without a terminal), one JSON object per event with --json, the
// spinner drawn only on a terminal and erased before anything else, text
// from the run never reaching the terminal raw, and the outcome of the run.
#include "tools/cli/progress.h"

#include <google/protobuf/text_format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace runs = bastion::runs::v1;

runs::RunEvent Event(const std::string& text) {
  runs::RunEvent event;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &event))
      << text;
  return event;
}

const char* const kPausingRun[] = {
    R"pb(run_id: "r1" seq: 1
         started { component_type: COMPONENT_TYPE_AGENT component_id: "ops" session_id: "s1" })pb",
    R"pb(run_id: "r1" seq: 2 model_output { text: "Let me " })pb",
    R"pb(run_id: "r1" seq: 3 model_output { text: "check." })pb",
    R"pb(run_id: "r1" seq: 4
         tool_call { tool_call_id: "c1" tool_name: "calculator" arguments_json: "{\"expression\":\"2+2\"}" })pb",
    R"pb(run_id: "r1" seq: 5 tool_result { tool_call_id: "c1" content: "4" })pb",
    R"pb(run_id: "r1" seq: 6
         paused {
           requirements { tool_call_id: "c2" tool_name: "delete_file" arguments_json: "{\"path\":\"/tmp/x\"}" requires_confirmation: true }
           requirements { tool_call_id: "c3" tool_name: "wire_money" arguments_json: "{}" requires_approval: true approval_id: "a9" }
         })pb",
};

TEST(RunProgressTest, ShowsEachEventForPeopleWithoutATerminal) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/false);
  for (const char* text : kPausingRun) {
    ASSERT_TRUE(progress.OnEvent(Event(text)).ok());
    progress.Tick();  // never draws without a terminal
  }
  progress.Close();
  EXPECT_EQ(stream.str(),
            "▶ Run r1 of agent/ops in session s1\n"
            "Let me check.\n"
            "→ calculator {\"expression\":\"2+2\"}\n"
            "← calculator: 4\n"
            "? Run r1 is paused: it waits for a decision on 2 tool calls.\n"
            "  c2  delete_file {\"path\":\"/tmp/x\"}  (needs your "
            "confirmation)\n"
            "  c3  wire_money {}  (needs approval a9 by an approver)\n"
            "Answer with `bastion continue r1 --approve c2` (or `--reject "
            "c2`), one flag per tool call; on a terminal `bastion continue "
            "r1` asks.\n"
            "An approver answers with `bastion approvals approve a9` (or "
            "`reject`); you cannot approve your own run's calls.\n");
  EXPECT_TRUE(progress.paused());
  ASSERT_EQ(progress.paused_calls().size(), 2u);
  EXPECT_EQ(progress.paused_calls()[0].tool_call_id(), "c2");
  EXPECT_EQ(ExitCodeFor(progress.Result()), kExitRunPaused);
  EXPECT_EQ(progress.last_seq(), 6);
}

TEST(RunProgressTest, OnATerminalTheSpinnerTurnsAndIsErasedBeforeOutput) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/true);
  progress.Tick();
  EXPECT_EQ(stream.str(), "\r\x1b[2K⠋ starting");
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[0])).ok());
  progress.Tick();
  EXPECT_EQ(stream.str(),
            "\r\x1b[2K⠋ starting\r\x1b[2K▶ Run r1 of agent/ops in session "
            "s1\n\r\x1b[2K⠙ waiting for the model");
  // While model output is mid-line the spinner keeps still.
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[1])).ok());
  const std::string before = stream.str();
  progress.Tick();
  EXPECT_EQ(stream.str(), before);
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[3])).ok());
  progress.Tick();
  EXPECT_THAT(stream.str(), HasSubstr("Let me \n→ calculator"));
  EXPECT_THAT(stream.str(), testing::EndsWith("⠹ running calculator"));
  ASSERT_TRUE(progress
                  .OnEvent(Event(R"pb(run_id: "r1" seq: 9
                                      completed { output: "done" })pb"))
                  .ok());
  const std::string ended = stream.str();
  progress.Tick();  // nothing after the end
  progress.Close();
  EXPECT_EQ(stream.str(), ended);
  EXPECT_THAT(ended, testing::EndsWith("\r\x1b[2K✓ Completed\n"));
  EXPECT_TRUE(progress.Result().ok());
}

TEST(RunProgressTest, ColoursOnlyWhenTheStyleAllowsThem) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/true));
  RunProgress progress(out, /*animate=*/false);
  ASSERT_TRUE(progress.OnEvent(Event(R"pb(run_id: "r1" seq: 1
                                          failed { message: "no model" })pb"))
                  .ok());
  EXPECT_EQ(stream.str(), "\x1b[31m✗ Failed: \x1b[0mno model\n");
  EXPECT_EQ(ExitCodeFor(progress.Result()), kExitRunFailed);
  EXPECT_THAT(progress.Result().message(), HasSubstr("no model"));
}

TEST(RunProgressTest, WithJsonEachEventIsOneObjectOnOneLine) {
  std::ostringstream stream;
  Output out(stream, /*json=*/true, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/true);  // JSON never animates
  for (const char* text : kPausingRun) {
    ASSERT_TRUE(progress.OnEvent(Event(text)).ok());
    progress.Tick();
  }
  std::istringstream lines(stream.str());
  std::string line;
  std::vector<nlohmann::json> events;
  while (std::getline(lines, line)) events.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0]["runId"], "r1");
  EXPECT_EQ(events[0]["seq"], "1");  // int64 is a string in proto3 JSON
  EXPECT_EQ(events[0]["started"]["componentType"], "COMPONENT_TYPE_AGENT");
  EXPECT_EQ(events[3]["toolCall"]["toolName"], "calculator");
  EXPECT_EQ(events[5]["paused"]["requirements"][1]["approvalId"], "a9");
}

TEST(RunProgressTest, TextFromTheRunCannotDriveTheTerminal) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/false);
  ASSERT_TRUE(
      progress
          .OnEvent(Event(
              R"pb(run_id: "r1" seq: 1
                   model_output { text: "hi\x1b]0;owned\x07 \xe2\x80\xae" })pb"))
          .ok());
  ASSERT_TRUE(progress
                  .OnEvent(Event(R"pb(run_id: "r1" seq: 2
                                      tool_call { tool_call_id: "c" tool_name: "x\x1b[2J" })pb"))
                  .ok());
  EXPECT_THAT(stream.str(), Not(HasSubstr("\x1b")));
  EXPECT_THAT(stream.str(), HasSubstr("\\x1b"));
  EXPECT_THAT(stream.str(), HasSubstr("\\u202e"));
}

TEST(RunProgressTest, ReplayedEventsAreSkippedAndForeignOrLateOnesRefused) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/false);
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[1])).ok());
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[1])).ok());  // replayed
  EXPECT_EQ(stream.str(), "Let me ");
  EXPECT_EQ(progress
                .OnEvent(Event(R"pb(run_id: "r2" seq: 3
                                    model_output { text: "x" })pb"))
                .code(),
            absl::StatusCode::kInternal);
  ASSERT_TRUE(progress.OnEvent(Event(R"pb(run_id: "r1" seq: 4
                                          cancelled { cancelled_by: "bob" })pb"))
                  .ok());
  EXPECT_THAT(stream.str(), HasSubstr("Let me \n■ Cancelled by bob\n"));
  EXPECT_EQ(ExitCodeFor(progress.Result()), kExitRunCancelled);
  EXPECT_EQ(progress
                .OnEvent(Event(R"pb(run_id: "r1" seq: 5
                                    model_output { text: "late" })pb"))
                .code(),
            absl::StatusCode::kInternal);
}

TEST(RunProgressTest, EventsThatStopBeforeTheEndSayHowToFollowAgain) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/false);
  EXPECT_EQ(progress.Result().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[0])).ok());
  ASSERT_TRUE(progress.OnEvent(Event(kPausingRun[1])).ok());
  EXPECT_EQ(progress.Result().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(progress.Result().message(),
              HasSubstr("bastion runs stream r1 --after 2"));
}

TEST(RunProgressTest, ACompletedRunPrintsItsOutputWhenNoneWasStreamed) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(/*colour=*/false));
  RunProgress progress(out, /*animate=*/false);
  ASSERT_TRUE(progress.OnEvent(Event(R"pb(run_id: "r1" seq: 1
                                          completed { output: "42" })pb"))
                  .ok());
  EXPECT_EQ(stream.str(), "42\n✓ Completed\n");
}

}  // namespace
}  // namespace bastion::cli
