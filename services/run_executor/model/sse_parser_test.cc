// Tests that event-stream bytes become the same events however they are
// split into chunks, and that an oversized line or event is refused.
#include "services/run_executor/model/sse_parser.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::ElementsAre;

class Collector {
 public:
  explicit Collector(size_t max_event_bytes = 1024)
      : parser_(
            [this](absl::string_view data) {
              events_.emplace_back(data);
              return absl::OkStatus();
            },
            max_event_bytes) {}

  absl::Status Feed(absl::string_view bytes) { return parser_.Feed(bytes); }
  const std::vector<std::string>& events() const { return events_; }

 private:
  std::vector<std::string> events_;
  SseParser parser_;
};

TEST(SseParserTest, SplitsEventsOnBlankLines) {
  Collector collector;
  ASSERT_THAT(collector.Feed("data: {\"a\":1}\n\ndata: [DONE]\n\n"), IsOk());
  EXPECT_THAT(collector.events(), ElementsAre("{\"a\":1}", "[DONE]"));
}

TEST(SseParserTest, SameEventsWhateverTheChunkBoundaries) {
  const std::string stream =
      ": keep-alive\r\n"
      "event: message\r\n"
      "id: 7\r\n"
      "data: first\r\n"
      "data:second\r\n"
      "\r\n"
      "data: cr only\r\r"
      "data: lf\n\n";
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    Collector collector;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      ASSERT_THAT(collector.Feed(absl::string_view(stream).substr(at, chunk)),
                  IsOk());
    }
    EXPECT_THAT(collector.events(),
                ElementsAre("first\nsecond", "cr only", "lf"))
        << "chunk size " << chunk;
  }
}

TEST(SseParserTest, IgnoresCommentsOtherFieldsAndUnfinishedEvents) {
  Collector collector;
  ASSERT_THAT(collector.Feed(": ping\n\nretry: 5\n\nevent: x\n\ndata: cut"),
              IsOk());
  EXPECT_TRUE(collector.events().empty());
}

TEST(SseParserTest, RefusesAnOverlongLineAndStaysFailed) {
  Collector collector(/*max_event_bytes=*/16);
  EXPECT_THAT(collector.Feed("data: " + std::string(32, 'x')),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(collector.Feed("\n\ndata: ok\n\n"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(collector.events().empty());
}

TEST(SseParserTest, RefusesAnEventWhoseDataLinesAddUpTooLarge) {
  Collector collector(/*max_event_bytes=*/16);
  EXPECT_THAT(collector.Feed("data: 12345\ndata: 12345\ndata: 12345\n"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(SseParserTest, HandlerErrorStopsTheParser) {
  int calls = 0;
  SseParser parser(
      [&calls](absl::string_view) {
        ++calls;
        return absl::InternalError("bad chunk");
      },
      /*max_event_bytes=*/1024);
  EXPECT_THAT(parser.Feed("data: a\n\ndata: b\n\n"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace bastion::runs
