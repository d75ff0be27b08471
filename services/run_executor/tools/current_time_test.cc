// Tests current_time against a fixed clock: UTC, zones with and without
// daylight saving time, and names that are not zones.
#include "services/run_executor/tools/current_time.h"

#include <string>

#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;

// 2024-07-01T10:30:00Z, a Monday.
const absl::Time kSummer = absl::FromUnixSeconds(1719829800);

ToolOutcome TimeIn(const Clock& clock, const std::string& arguments_json) {
  ToolInvocation invocation;
  invocation.arguments_json = arguments_json;
  absl::StatusOr<ToolOutcome> outcome = CurrentTimeTool(&clock).Invoke(invocation);
  EXPECT_THAT(outcome, IsOk());
  return outcome.ok() ? *outcome : ToolOutcome{};
}

TEST(CurrentTimeToolTest, DefaultsToUtc) {
  FakeClock clock(kSummer);
  ToolOutcome outcome = TimeIn(clock, "{}");
  ASSERT_FALSE(outcome.is_error) << outcome.content;
  const nlohmann::json result = nlohmann::json::parse(outcome.content);
  EXPECT_EQ(result["utc"], "2024-07-01T10:30:00Z");
  EXPECT_EQ(result["timezone"], "UTC");
  EXPECT_EQ(result["local"], "2024-07-01T10:30:00+00:00");
  EXPECT_EQ(result["weekday"], "Monday");
  EXPECT_EQ(result["unix"], 1719829800);
}

TEST(CurrentTimeToolTest, ConvertsToAZoneWithItsDaylightSavingTime) {
  FakeClock clock(kSummer);
  nlohmann::json result = nlohmann::json::parse(
      TimeIn(clock, R"({"timezone": "Europe/Paris"})").content);
  EXPECT_EQ(result["local"], "2024-07-01T12:30:00+02:00");
  clock.Set(absl::FromUnixSeconds(1704105000));  // 2024-01-01T10:30:00Z
  result = nlohmann::json::parse(
      TimeIn(clock, R"({"timezone": "Europe/Paris"})").content);
  EXPECT_EQ(result["local"], "2024-01-01T11:30:00+01:00");
  result = nlohmann::json::parse(
      TimeIn(clock, R"({"timezone": "Asia/Kolkata"})").content);
  EXPECT_EQ(result["local"], "2024-01-01T16:00:00+05:30");
  result = nlohmann::json::parse(
      TimeIn(clock, R"({"timezone": "America/Argentina/Buenos_Aires"})")
          .content);
  EXPECT_EQ(result["local"], "2024-01-01T07:30:00-03:00");
  // Midnight crossing changes the weekday.
  result = nlohmann::json::parse(
      TimeIn(clock, R"({"timezone": "Pacific/Kiritimati"})").content);
  EXPECT_EQ(result["local"], "2024-01-02T00:30:00+14:00");
  EXPECT_EQ(result["weekday"], "Tuesday");
}

TEST(CurrentTimeToolTest, UnknownOrMalformedZoneIsAnErrorResult) {
  FakeClock clock(kSummer);
  for (const char* arguments :
       {R"({"timezone": "Mars/Olympus_Mons"})", R"({"timezone": ""})",
        R"({"timezone": "../../../../etc/passwd"})",
        R"({"timezone": "/etc/localtime"})", R"({"timezone": "Europe//Paris"})",
        R"({"timezone": "Europe/Paris/"})", R"({"timezone": "localtime"})",
        R"({"timezone": "zone.tab"})", R"({"timezone": "Europe/Paris\u0000"})",
        R"({"timezone": 5})", R"({"timezone": "Europe/Paris Europe/Paris"})"}) {
    ToolOutcome outcome = TimeIn(clock, arguments);
    EXPECT_TRUE(outcome.is_error) << arguments << " -> " << outcome.content;
  }
  const std::string too_long =
      R"({"timezone": ")" + std::string(65, 'A') + R"("})";
  EXPECT_TRUE(TimeIn(clock, too_long).is_error);
}

}  // namespace
}  // namespace bastion::runs
