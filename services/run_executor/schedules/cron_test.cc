#include "services/run_executor/schedules/cron.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::schedules {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

// Expectations are written in UTC so they do not reuse the code under test.
absl::Time Utc(int year, int month, int day, int hour, int minute,
               int second = 0) {
  return absl::FromCivil(
      absl::CivilSecond(year, month, day, hour, minute, second),
      absl::UTCTimeZone());
}

CronSchedule MustParse(const std::string& expression,
                       const std::string& zone = "UTC") {
  absl::StatusOr<CronSchedule> schedule = CronSchedule::Parse(expression, zone);
  EXPECT_THAT(schedule, IsOk()) << expression << " in " << zone;
  return *std::move(schedule);
}

// The next `count` firings after `after`.
std::vector<absl::Time> Firings(const CronSchedule& schedule, absl::Time after,
                                int count) {
  std::vector<absl::Time> firings;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<absl::Time> next = schedule.NextAfter(after);
    EXPECT_THAT(next, IsOk());
    if (!next.ok()) break;
    firings.push_back(*next);
    after = *next;
  }
  return firings;
}

TEST(CronParseTest, AcceptsTheStandardForms) {
  for (const char* expression : {
           "* * * * *",
           "0 9 * * MON-FRI",
           "*/15 8-18/2 1,15 JAN,jul 0,7",
           "5/20 * * * *",
           "0 0 1 1 *",
           "59 23 31 12 6",
           "0\t12  *  *\tsun",
           "0 0 30 2 MON",  // day of week keeps it alive (either matches)
           "0 0 29 2 *",
       }) {
    EXPECT_THAT(CronSchedule::Parse(expression, "UTC"), IsOk()) << expression;
  }
  for (const char* zone : {"UTC", "Europe/Berlin", "America/New_York",
                           "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                           "America/Port-au-Prince"}) {
    EXPECT_THAT(CronSchedule::Parse("0 0 * * *", zone), IsOk()) << zone;
  }
}

TEST(CronParseTest, KeepsExpressionAndZone) {
  const CronSchedule schedule = MustParse("30 2 * * *", "America/New_York");
  EXPECT_EQ(schedule.expression(), "30 2 * * *");
  EXPECT_EQ(schedule.time_zone(), "America/New_York");
}

struct InvalidCase {
  std::string expression;
  std::string zone;
  std::string message;  // what the error must say
};

TEST(CronParseTest, RefusesEveryInvalidFormNamingTheProblem) {
  const std::vector<InvalidCase> cases = {
      {"", "UTC", "has 0 fields; it needs 5"},
      {"* * * *", "UTC", "has 4 fields; it needs 5"},
      {"* * * * * *", "UTC", "has 6 fields; it needs 5"},
      {"60 * * * *", "UTC", "minute field: value 60 is out of range 0-59"},
      {"* 24 * * *", "UTC", "hour field: value 24 is out of range 0-23"},
      {"* * 0 * *", "UTC", "day-of-month field: value 0 is out of range 1-31"},
      {"* * 32 * *", "UTC", "day-of-month field: value 32 is out of range"},
      {"* * * 13 *", "UTC", "month field: value 13 is out of range 1-12"},
      {"* * * 0 *", "UTC", "month field: value 0 is out of range"},
      {"* * * * 8", "UTC", "day-of-week field: value 8 is out of range 0-7"},
      {"* * * * 99999", "UTC", "day-of-week field: value 99999 is out of"},
      {"* * * FOO *", "UTC", "month field: unknown name \"FOO\""},
      {"* * * * MONDAY", "UTC", "day-of-week field: unknown name \"MONDAY\""},
      {"MON * * * *", "UTC", "minute field: \"MON\" is not a number"},
      {"* 5a * * *", "UTC", "hour field: \"5a\" is not a number"},
      {"1,,2 * * * *", "UTC", "minute field: empty list item"},
      {"1, * * * *", "UTC", "minute field: empty list item"},
      {"5-3 * * * *", "UTC", "minute field: range \"5-3\" is reversed"},
      {"* * * * FRI-MON", "UTC", "day-of-week field: range \"FRI-MON\""},
      {"-5 * * * *", "UTC", "minute field: missing value"},
      {"5- * * * *", "UTC", "minute field: missing value"},
      {"1-2-3 * * * *", "UTC", "minute field: \"2-3\" is not a number"},
      {"1-* * * * *", "UTC", "minute field: \"*\" is not a number"},
      {"*/5-10 * * * *", "UTC", "minute field: step \"5-10\""},
      {"*/0 * * * *", "UTC", "minute field: step \"0\" in \"*/0\" must be"},
      {"*/61 * * * *", "UTC", "from 1 to 60"},
      {"* */ * * *", "UTC", "hour field: step \"\""},
      {"*/2/3 * * * *", "UTC", "minute field: step \"2/3\""},
      {"*/x * * * *", "UTC", "minute field: step \"x\""},
      {"? * * * *", "UTC", "character '?' is not allowed"},
      {"0 0 L * *", "UTC", "day-of-month field: \"L\" is not a number"},
      {std::string("0 0 * * \x01", 9), "UTC", "byte 0x01 is not allowed"},
      {"@daily", "UTC", "character '@' is not allowed"},
      {"daily", "UTC", "has 1 fields"},
      {std::string(300, '*'), "UTC", "longer than 256 characters"},
      {"0 0 30 2 *", "UTC", "never fires"},
      {"0 0 31 4,6,9,11 *", "UTC", "never fires"},
      {"0 0 30,31 2 */7", "UTC", "day-of-month \"30,31\" in month \"2\""},
      {"0 0 * * *", "", "time zone is empty"},
      {"0 0 * * *", "Mars/Olympus_Mons", "unknown time zone \"Mars/Olympus_Mons\""},
      {"0 0 * * *", "Europe/Atlantis", "unknown time zone"},
      {"0 0 * * *", "../../etc/passwd", "must be an IANA name"},
      {"0 0 * * *", "/etc/passwd", "must be an IANA name"},
      {"0 0 * * *", "Europe//Berlin", "must be an IANA name"},
      {"0 0 * * *", "Europe/Berlin ", "must be an IANA name"},
      {"0 0 * * *", "localtime", "must be an IANA name"},
      {"0 0 * * *", "Fixed/UTC+05:00", "must be an IANA name"},
      {"0 0 * * *", std::string(65, 'A'), "longer than 64 characters"},
  };
  for (const InvalidCase& c : cases) {
    absl::StatusOr<CronSchedule> schedule =
        CronSchedule::Parse(c.expression, c.zone);
    EXPECT_THAT(schedule, StatusIs(absl::StatusCode::kInvalidArgument))
        << "\"" << c.expression << "\" in \"" << c.zone << "\"";
    EXPECT_THAT(schedule.status().message(), HasSubstr(c.message))
        << "\"" << c.expression << "\" in \"" << c.zone << "\"";
  }
}

TEST(CronNextTest, IsStrictlyAfterTheGivenTime) {
  const CronSchedule every_minute = MustParse("* * * * *");
  EXPECT_EQ(*every_minute.NextAfter(Utc(2026, 5, 4, 10, 0, 30)),
            Utc(2026, 5, 4, 10, 1));
  EXPECT_EQ(*every_minute.NextAfter(Utc(2026, 5, 4, 10, 0)),
            Utc(2026, 5, 4, 10, 1));

  const CronSchedule daily = MustParse("0 10 * * *");
  EXPECT_EQ(*daily.NextAfter(Utc(2026, 5, 4, 10, 0)), Utc(2026, 5, 5, 10, 0));
  EXPECT_EQ(*daily.NextAfter(Utc(2026, 5, 4, 9, 59, 59)),
            Utc(2026, 5, 4, 10, 0));
}

TEST(CronNextTest, ListsRangesStepsAndNames) {
  const CronSchedule schedule = MustParse("*/20 8-12/2 * * *");
  EXPECT_EQ(Firings(schedule, Utc(2026, 5, 4, 7, 0), 7),
            (std::vector<absl::Time>{
                Utc(2026, 5, 4, 8, 0), Utc(2026, 5, 4, 8, 20),
                Utc(2026, 5, 4, 8, 40), Utc(2026, 5, 4, 10, 0),
                Utc(2026, 5, 4, 10, 20), Utc(2026, 5, 4, 10, 40),
                Utc(2026, 5, 4, 12, 0)}));

  const CronSchedule offset_step = MustParse("5/20 3 * * *");
  EXPECT_EQ(Firings(offset_step, Utc(2026, 5, 4, 0, 0), 4),
            (std::vector<absl::Time>{
                Utc(2026, 5, 4, 3, 5), Utc(2026, 5, 4, 3, 25),
                Utc(2026, 5, 4, 3, 45), Utc(2026, 5, 5, 3, 5)}));

  // 2026-05-01 is a Friday; weekdays only, in July and August only.
  const CronSchedule weekdays = MustParse("0 9 * jul-AUG mon-fri");
  EXPECT_EQ(Firings(weekdays, Utc(2026, 5, 1, 0, 0), 3),
            (std::vector<absl::Time>{Utc(2026, 7, 1, 9, 0),
                                     Utc(2026, 7, 2, 9, 0),
                                     Utc(2026, 7, 3, 9, 0)}));
  EXPECT_EQ(*weekdays.NextAfter(Utc(2026, 8, 31, 9, 0)),
            Utc(2027, 7, 1, 9, 0));

  // 0 and 7 are both Sunday (2026-03-01 and 2026-03-08 are Sundays).
  for (const char* sunday : {"0 6 * * 0", "0 6 * * 7", "0 6 * * SUN"}) {
    EXPECT_EQ(Firings(MustParse(sunday), Utc(2026, 2, 28, 12, 0), 2),
              (std::vector<absl::Time>{Utc(2026, 3, 1, 6, 0),
                                       Utc(2026, 3, 8, 6, 0)}))
        << sunday;
  }
}

TEST(CronNextTest, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // The 13th of any month, and every Friday. March 2026: Fridays are the
  // 6th, 13th, 20th, 27th; April 13th is a Monday.
  const CronSchedule either = MustParse("0 0 13 * FRI");
  EXPECT_EQ(Firings(either, Utc(2026, 3, 1, 0, 0), 5),
            (std::vector<absl::Time>{
                Utc(2026, 3, 6, 0, 0), Utc(2026, 3, 13, 0, 0),
                Utc(2026, 3, 20, 0, 0), Utc(2026, 3, 27, 0, 0),
                Utc(2026, 4, 3, 0, 0)}));
  EXPECT_EQ(*either.NextAfter(Utc(2026, 4, 10, 0, 0)), Utc(2026, 4, 13, 0, 0));

  // A field that begins with `*` does not count as restricted: both must
  // match. The 13th that is a Sunday (*/7 = 0,7): 2026-09-13 and 2026-12-13.
  const CronSchedule both = MustParse("0 0 13 * */7");
  EXPECT_EQ(Firings(both, Utc(2026, 3, 1, 0, 0), 2),
            (std::vector<absl::Time>{Utc(2026, 9, 13, 0, 0),
                                     Utc(2026, 12, 13, 0, 0)}));

  // Only the day of week restricted: just Fridays.
  const CronSchedule fridays = MustParse("0 0 * * FRI");
  EXPECT_EQ(*fridays.NextAfter(Utc(2026, 3, 6, 0, 0)), Utc(2026, 3, 13, 0, 0));
}

TEST(CronNextTest, LeapDays) {
  const CronSchedule leap_day = MustParse("0 12 29 2 *");
  EXPECT_EQ(*leap_day.NextAfter(Utc(2026, 1, 1, 0, 0)),
            Utc(2028, 2, 29, 12, 0));
  EXPECT_EQ(*leap_day.NextAfter(Utc(2028, 2, 29, 12, 0)),
            Utc(2032, 2, 29, 12, 0));
  // 2100 is not a leap year: eight years pass.
  EXPECT_EQ(*leap_day.NextAfter(Utc(2096, 3, 1, 0, 0)),
            Utc(2104, 2, 29, 12, 0));

  // The last day of February only in leap years: 29th every four years,
  // and the 28th every year.
  const CronSchedule end_of_february = MustParse("0 0 28,29 2 *");
  EXPECT_EQ(Firings(end_of_february, Utc(2027, 3, 1, 0, 0), 3),
            (std::vector<absl::Time>{Utc(2028, 2, 28, 0, 0),
                                     Utc(2028, 2, 29, 0, 0),
                                     Utc(2029, 2, 28, 0, 0)}));

  // 29 February on a weekend (*/6 = Sunday, Saturday): 2032 is a Sunday,
  // then 2048 (Saturday); found although years apart.
  const CronSchedule rare = MustParse("0 0 29 2 */6");
  EXPECT_EQ(Firings(rare, Utc(2026, 1, 1, 0, 0), 2),
            (std::vector<absl::Time>{Utc(2032, 2, 29, 0, 0),
                                     Utc(2048, 2, 29, 0, 0)}));
}

TEST(CronNextTest, NeedsAFiniteTime) {
  const CronSchedule schedule = MustParse("0 0 29 2 *");
  EXPECT_THAT(schedule.NextAfter(absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(schedule.NextAfter(absl::InfinitePast()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CronNextTest, FollowsTheZonesOffset) {
  // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
  const CronSchedule berlin = MustParse("0 9 * * *", "Europe/Berlin");
  EXPECT_EQ(*berlin.NextAfter(Utc(2026, 1, 10, 12, 0)),
            Utc(2026, 1, 11, 8, 0));
  EXPECT_EQ(*berlin.NextAfter(Utc(2026, 7, 10, 12, 0)),
            Utc(2026, 7, 11, 7, 0));
  // Midnight in Kolkata (+05:30) is 18:30 UTC the day before.
  const CronSchedule kolkata = MustParse("0 0 * * *", "Asia/Kolkata");
  EXPECT_EQ(*kolkata.NextAfter(Utc(2026, 5, 4, 12, 0)),
            Utc(2026, 5, 4, 18, 30));
}

// America/New_York springs forward at 2026-03-08 02:00 EST (07:00 UTC) to
// 03:00 EDT: 02:00-02:59 do not exist that day.
TEST(CronDaylightSavingTest, ANonexistentTimeFiresOnceWhenTheGapEnds) {
  const CronSchedule daily = MustParse("30 2 * * *", "America/New_York");
  EXPECT_EQ(Firings(daily, Utc(2026, 3, 6, 12, 0), 3),
            (std::vector<absl::Time>{
                Utc(2026, 3, 7, 7, 30),   // 02:30 EST
                Utc(2026, 3, 8, 7, 0),    // the gap: 03:00 EDT
                Utc(2026, 3, 9, 6, 30)}));  // 02:30 EDT

  // Every minute of the missing hour collapses into one firing.
  const CronSchedule in_gap = MustParse("*/20 2 * * *", "America/New_York");
  EXPECT_EQ(Firings(in_gap, Utc(2026, 3, 8, 6, 50), 2),
            (std::vector<absl::Time>{Utc(2026, 3, 8, 7, 0),
                                     Utc(2026, 3, 9, 6, 0)}));

  // Times around the gap are unaffected.
  const CronSchedule around = MustParse("59 1 * * *", "America/New_York");
  EXPECT_EQ(*around.NextAfter(Utc(2026, 3, 8, 0, 0)), Utc(2026, 3, 8, 6, 59));
  const CronSchedule after_gap = MustParse("0 3 * * *", "America/New_York");
  EXPECT_EQ(*after_gap.NextAfter(Utc(2026, 3, 8, 0, 0)), Utc(2026, 3, 8, 7, 0));
}

// America/New_York falls back at 2026-11-01 02:00 EDT (06:00 UTC) to
// 01:00 EST: 01:00-01:59 happen twice.
TEST(CronDaylightSavingTest, ARepeatedTimeFiresOnceAtItsFirstOccurrence) {
  const CronSchedule daily = MustParse("30 1 * * *", "America/New_York");
  EXPECT_EQ(Firings(daily, Utc(2026, 10, 31, 12, 0), 3),
            (std::vector<absl::Time>{
                Utc(2026, 11, 1, 5, 30),   // 01:30 EDT, not again at EST
                Utc(2026, 11, 2, 6, 30),   // 01:30 EST
                Utc(2026, 11, 3, 6, 30)}));

  // A 02:30 daily job is not repeated either: 02:30 EST exists once.
  const CronSchedule two_thirty = MustParse("30 2 * * *", "America/New_York");
  EXPECT_EQ(Firings(two_thirty, Utc(2026, 10, 31, 12, 0), 2),
            (std::vector<absl::Time>{Utc(2026, 11, 1, 7, 30),
                                     Utc(2026, 11, 2, 7, 30)}));

  // Every quarter hour: the repeated hour is not run a second time.
  const CronSchedule quarterly = MustParse("*/15 * * * *", "America/New_York");
  EXPECT_EQ(Firings(quarterly, Utc(2026, 11, 1, 4, 50), 6),
            (std::vector<absl::Time>{
                Utc(2026, 11, 1, 5, 0), Utc(2026, 11, 1, 5, 15),
                Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 1, 5, 45),
                Utc(2026, 11, 1, 7, 0),  // 02:00 EST
                Utc(2026, 11, 1, 7, 15)}));

  // Asked during the second 01:xx, the first occurrence is already past.
  const CronSchedule one_twenty = MustParse("20 1 * * *", "America/New_York");
  EXPECT_EQ(*one_twenty.NextAfter(Utc(2026, 11, 1, 6, 10)),  // 01:10 EST
            Utc(2026, 11, 2, 6, 20));
  const CronSchedule two = MustParse("0 2 * * *", "America/New_York");
  EXPECT_EQ(*two.NextAfter(Utc(2026, 11, 1, 6, 10)), Utc(2026, 11, 1, 7, 0));
}

// Australia/Lord_Howe moves by half an hour: 02:00 -> 02:30 on 2026-10-04,
// 02:00 -> 01:30 on 2026-04-05.
TEST(CronDaylightSavingTest, HalfHourShiftsFollowTheSameRules) {
  const CronSchedule gap = MustParse("15 2 * * *", "Australia/Lord_Howe");
  EXPECT_EQ(*gap.NextAfter(Utc(2026, 10, 3, 12, 0)),
            Utc(2026, 10, 3, 15, 30));  // 02:30 +11, when the gap ends
  const CronSchedule repeated = MustParse("45 1 * * *", "Australia/Lord_Howe");
  EXPECT_EQ(Firings(repeated, Utc(2026, 4, 4, 12, 0), 2),
            (std::vector<absl::Time>{
                Utc(2026, 4, 4, 14, 45),     // 01:45 +11, not again at +10:30
                Utc(2026, 4, 5, 15, 15)}));  // 01:45 +10:30 the next day
}

TEST(CronDueTest, NothingDueBeforeTheNextTick) {
  const CronSchedule schedule = MustParse("* * * * *");
  absl::StatusOr<DueFiring> due =
      DueAt(schedule, Utc(2026, 5, 4, 10, 0), Utc(2026, 5, 4, 10, 0, 30));
  ASSERT_THAT(due, IsOk());
  EXPECT_FALSE(due->fire.has_value());
  EXPECT_EQ(due->next, Utc(2026, 5, 4, 10, 1));
}

TEST(CronDueTest, ATickReachedExactlyIsDue) {
  const CronSchedule schedule = MustParse("0 10 * * *");
  absl::StatusOr<DueFiring> due =
      DueAt(schedule, Utc(2026, 5, 3, 10, 0), Utc(2026, 5, 4, 10, 0));
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(due->fire, Utc(2026, 5, 4, 10, 0));
  EXPECT_EQ(due->next, Utc(2026, 5, 5, 10, 0));
}

TEST(CronDueTest, AMissedWindowFiresOnceNotOncePerMissedTick) {
  // Every minute, and the scheduler was down for three days.
  const CronSchedule schedule = MustParse("* * * * *");
  const absl::Time handled = Utc(2026, 5, 1, 10, 0);
  const absl::Time now = Utc(2026, 5, 4, 10, 0, 30);
  absl::StatusOr<DueFiring> due = DueAt(schedule, handled, now);
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(due->fire, Utc(2026, 5, 1, 10, 1));
  EXPECT_EQ(due->next, Utc(2026, 5, 4, 10, 1));

  // Having run that one firing at `now`, nothing else is due at `now`.
  absl::StatusOr<DueFiring> again = DueAt(schedule, now, now);
  ASSERT_THAT(again, IsOk());
  EXPECT_FALSE(again->fire.has_value());
  EXPECT_EQ(again->next, Utc(2026, 5, 4, 10, 1));
}

TEST(CronDueTest, DowntimeAcrossTheSpringGapFiresOnce) {
  const CronSchedule daily = MustParse("30 2 * * *", "America/New_York");
  absl::StatusOr<DueFiring> due =
      DueAt(daily, Utc(2026, 3, 7, 12, 0), Utc(2026, 3, 10, 12, 0));
  ASSERT_THAT(due, IsOk());
  EXPECT_EQ(due->fire, Utc(2026, 3, 8, 7, 0));
  EXPECT_EQ(due->next, Utc(2026, 3, 11, 6, 30));
}

TEST(CronDueTest, IsAPureFunctionOfItsInputs) {
  const CronSchedule schedule = MustParse("0 */6 * * *", "Europe/Berlin");
  const absl::Time handled = Utc(2026, 1, 1, 0, 0);
  const absl::Time now = Utc(2026, 1, 2, 13, 0);
  absl::StatusOr<DueFiring> first = DueAt(schedule, handled, now);
  absl::StatusOr<DueFiring> second = DueAt(schedule, handled, now);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->fire, second->fire);
  EXPECT_EQ(first->next, second->next);
  // 06:00 Berlin (05:00 UTC) is the first tick after midnight UTC.
  EXPECT_EQ(first->fire, Utc(2026, 1, 1, 5, 0));
  EXPECT_EQ(first->next, Utc(2026, 1, 2, 17, 0));
}

}  // namespace
}  // namespace bastion::schedules
