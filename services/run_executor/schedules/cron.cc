#include "services/run_executor/schedules/cron.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"

namespace bastion::schedules {
namespace {

// Every pattern of (month, day of month, weekday) that ever occurs occurs
// within one 400-year Gregorian cycle (146097 days, a whole number of
// weeks); a search this long is exhaustive, and still bounded.
constexpr int64_t kSearchDays = 146097 + 366;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  // Three-letter names for min, min+1, ... (nullptr: numbers only).
  const char* const* names;
  int names_count;
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR",
                                       "MAY", "JUN", "JUL", "AUG",
                                       "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED",
                                         "THU", "FRI", "SAT"};

constexpr FieldSpec kMinute = {"minute", 0, 59, nullptr, 0};
constexpr FieldSpec kHour = {"hour", 0, 23, nullptr, 0};
constexpr FieldSpec kDayOfMonth = {"day-of-month", 1, 31, nullptr, 0};
constexpr FieldSpec kMonth = {"month", 1, 12, kMonthNames, 12};
// 7 is Sunday too; folded onto 0 after parsing.
constexpr FieldSpec kDayOfWeek = {"day-of-week", 0, 7, kWeekdayNames, 7};

absl::Status FieldError(const FieldSpec& field, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("cron ", field.name, " field: ", problem));
}

// One value: a number within the field's range, or one of its names.
absl::StatusOr<int> ParseValue(const FieldSpec& field, absl::string_view text) {
  if (text.empty()) return FieldError(field, "missing value");
  bool digits = true;
  for (const char c : text) {
    digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  }
  if (digits) {
    int value = 0;
    // At most three digits, so no overflow before the range check.
    if (text.size() > 3 || !absl::SimpleAtoi(text, &value)) {
      return FieldError(field, absl::StrCat("value ", text, " is out of range ",
                                            field.min, "-", field.max));
    }
    if (value < field.min || value > field.max) {
      return FieldError(field, absl::StrCat("value ", value, " is out of range ",
                                            field.min, "-", field.max));
    }
    return value;
  }
  bool letters = true;
  for (const char c : text) {
    letters = letters && absl::ascii_isalpha(static_cast<unsigned char>(c));
  }
  if (field.names == nullptr || !letters) {
    return FieldError(field, absl::StrCat("\"", text, "\" is not a number"));
  }
  const std::string upper = absl::AsciiStrToUpper(text);
  for (int i = 0; i < field.names_count; ++i) {
    if (upper == field.names[i]) return field.min + i;
  }
  return FieldError(field, absl::StrCat("unknown name \"", text, "\""));
}

// `*`, `v`, `a-b`, each optionally followed by `/step`; sets the bits.
absl::Status ParseItem(const FieldSpec& field, absl::string_view item,
                       std::vector<bool>& bits) {
  if (item.empty()) return FieldError(field, "empty list item");
  absl::string_view base = item;
  int step = 1;
  bool has_step = false;
  const size_t slash = item.find('/');
  if (slash != absl::string_view::npos) {
    base = item.substr(0, slash);
    const absl::string_view step_text = item.substr(slash + 1);
    const int span = field.max - field.min + 1;
    if (step_text.empty() || step_text.size() > 3 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(step_text[0])) ||
        !absl::SimpleAtoi(step_text, &step) || step < 1 || step > span) {
      return FieldError(field, absl::StrCat("step \"", step_text,
                                            "\" in \"", item,
                                            "\" must be a number from 1 to ",
                                            span));
    }
    has_step = true;
  }
  int first = field.min;
  int last = field.max;
  if (base != "*") {
    const size_t dash = base.find('-');
    if (dash == absl::string_view::npos) {
      ASSIGN_OR_RETURN(first, ParseValue(field, base));
      last = has_step ? field.max : first;
    } else {
      ASSIGN_OR_RETURN(first, ParseValue(field, base.substr(0, dash)));
      ASSIGN_OR_RETURN(last, ParseValue(field, base.substr(dash + 1)));
      if (first > last) {
        return FieldError(field,
                          absl::StrCat("range \"", base, "\" is reversed"));
      }
    }
  }
  for (int value = first; value <= last; value += step) {
    bits[value - field.min] = true;
  }
  return absl::OkStatus();
}

// A whole field: a comma-separated list of items. Bit i is value min+i.
absl::StatusOr<std::vector<bool>> ParseField(const FieldSpec& field,
                                             absl::string_view text) {
  std::vector<bool> bits(field.max - field.min + 1, false);
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    RETURN_IF_ERROR(ParseItem(field, item, bits));
  }
  return bits;
}

absl::Status CheckCharacters(absl::string_view expression) {
  for (const char c : expression) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '*' || c == ',' || c == '-' ||
        c == '/' || c == ' ' || c == '\t') {
      continue;
    }
    if (absl::ascii_isgraph(byte)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cron expression: character '", std::string(1, c),
          "' is not allowed"));
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "cron expression: byte 0x%02x is not allowed", byte));
  }
  return absl::OkStatus();
}

// IANA names are `Area/Location` components of letters, digits and `_+-`
// (`America/Argentina/Buenos_Aires`, `Etc/GMT+5`, `UTC`). Anything else,
// notably `.` and a leading `/`, could name a file outside the zoneinfo
// folder, and `localtime` is whatever this machine is set to.
absl::Status CheckTimeZoneName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("time zone is empty");
  if (name.size() > kMaxTimeZoneNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone is longer than ", kMaxTimeZoneNameLength, " characters"));
  }
  bool ok = name != "localtime";
  for (absl::string_view component : absl::StrSplit(name, '/')) {
    if (component.empty() ||
        !absl::ascii_isalpha(static_cast<unsigned char>(component[0]))) {
      ok = false;
    }
    for (const char c : component) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
          c != '+' && c != '-') {
        ok = false;
      }
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        "time zone must be an IANA name such as \"Europe/Berlin\"");
  }
  return absl::OkStatus();
}

template <size_t N>
std::bitset<N> ToBitset(const std::vector<bool>& bits, int offset) {
  std::bitset<N> set;
  for (size_t i = 0; i < bits.size(); ++i) {
    if (bits[i]) set.set(i + offset);
  }
  return set;
}

int WeekdayNumber(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::sunday:
      return 0;
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
  }
  return 0;
}

}  // namespace

absl::StatusOr<CronSchedule> CronSchedule::Parse(absl::string_view expression,
                                                 absl::string_view time_zone) {
  if (expression.size() > kMaxCronExpressionLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("cron expression is longer than ",
                     kMaxCronExpressionLength, " characters"));
  }
  RETURN_IF_ERROR(CheckCharacters(expression));
  const std::vector<absl::string_view> fields =
      absl::StrSplit(expression, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron expression has ", fields.size(),
        " fields; it needs 5 (minute hour day-of-month month day-of-week)"));
  }
  RETURN_IF_ERROR(CheckTimeZoneName(time_zone));

  CronSchedule schedule;
  ASSIGN_OR_RETURN(std::vector<bool> minutes, ParseField(kMinute, fields[0]));
  ASSIGN_OR_RETURN(std::vector<bool> hours, ParseField(kHour, fields[1]));
  ASSIGN_OR_RETURN(std::vector<bool> days, ParseField(kDayOfMonth, fields[2]));
  ASSIGN_OR_RETURN(std::vector<bool> months, ParseField(kMonth, fields[3]));
  ASSIGN_OR_RETURN(std::vector<bool> weekdays,
                   ParseField(kDayOfWeek, fields[4]));
  schedule.minutes_ = ToBitset<60>(minutes, kMinute.min);
  schedule.hours_ = ToBitset<24>(hours, kHour.min);
  schedule.days_of_month_ = ToBitset<32>(days, kDayOfMonth.min);
  schedule.months_ = ToBitset<13>(months, kMonth.min);
  weekdays[0] = weekdays[0] || weekdays[7];  // 7 is Sunday
  weekdays.resize(7);
  schedule.days_of_week_ = ToBitset<7>(weekdays, kDayOfWeek.min);
  schedule.day_of_month_restricted_ = fields[2][0] != '*';
  schedule.day_of_week_restricted_ = fields[4][0] != '*';

  if (!absl::LoadTimeZone(std::string(time_zone), &schedule.zone_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", time_zone, "\""));
  }
  schedule.expression_ = std::string(expression);
  schedule.time_zone_name_ = std::string(time_zone);

  // Fields that are each valid may still describe no day at all (30 Feb).
  if (absl::IsNotFound(schedule.NextAfter(absl::UnixEpoch()).status())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron expression never fires: no date has day-of-month \"", fields[2],
        "\" in month \"", fields[3], "\" on day-of-week \"", fields[4], "\""));
  }
  return schedule;
}

bool CronSchedule::DayMatches(absl::CivilDay day) const {
  if (!months_[day.month()]) return false;
  const bool day_of_month = days_of_month_[day.day()];
  const bool day_of_week = days_of_week_[WeekdayNumber(day)];
  if (day_of_month_restricted_ && day_of_week_restricted_) {
    return day_of_month || day_of_week;
  }
  return day_of_month && day_of_week;
}

absl::Time CronSchedule::FireTime(absl::CivilMinute minute) const {
  const absl::TimeZone::TimeInfo info = zone_.At(minute);
  switch (info.kind) {
    case absl::TimeZone::TimeInfo::SKIPPED:
      return info.trans;  // the first instant after the gap
    case absl::TimeZone::TimeInfo::REPEATED:
    case absl::TimeZone::TimeInfo::UNIQUE:
      return info.pre;  // the first occurrence
  }
  return info.pre;
}

absl::StatusOr<absl::Time> CronSchedule::NextAfter(absl::Time after) const {
  if (after == absl::InfiniteFuture() || after == absl::InfinitePast()) {
    return absl::InvalidArgumentError("cron search needs a finite time");
  }
  // Wall-clock minutes map to instants in order (FireTime never decreases
  // as the minute grows), and no minute before `after`'s own fires after
  // it, so the first matching minute from there whose instant is later
  // than `after` is the answer.
  const absl::CivilMinute start = absl::ToCivilMinute(after, zone_);
  const absl::CivilDay first_day(start);
  const absl::CivilDay last_day = first_day + kSearchDays;
  for (absl::CivilDay day = first_day; day <= last_day; ++day) {
    if (!months_[day.month()]) {
      // Jump to the last day of this month; the loop steps into the next.
      day = absl::CivilDay(absl::CivilMonth(day) + 1) - 1;
      continue;
    }
    if (!DayMatches(day)) continue;
    for (int hour = 0; hour < 24; ++hour) {
      if (!hours_[hour]) continue;
      for (int minute = 0; minute < 60; ++minute) {
        if (!minutes_[minute]) continue;
        const absl::CivilMinute candidate(day.year(), day.month(), day.day(),
                                          hour, minute);
        if (candidate < start) continue;
        const absl::Time fire = FireTime(candidate);
        if (fire > after) return fire;
      }
    }
  }
  return absl::NotFoundError(absl::StrCat(
      "cron expression \"", expression_, "\" does not fire within ",
      kSearchDays, " days"));
}

absl::StatusOr<DueFiring> DueAt(const CronSchedule& schedule,
                                absl::Time handled_through, absl::Time now) {
  ASSIGN_OR_RETURN(const absl::Time first, schedule.NextAfter(handled_through));
  DueFiring due;
  if (first > now) {
    due.next = first;
    return due;
  }
  due.fire = first;
  ASSIGN_OR_RETURN(due.next, schedule.NextAfter(now));
  return due;
}

}  // namespace bastion::schedules
