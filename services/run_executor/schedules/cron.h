// Cron schedules: a standard five-field cron expression in an IANA time
// zone, its next firing, and what is due after the scheduler was away.
//
// Format (fields separated by spaces or tabs):
//
//   minute  hour  day-of-month  month       day-of-week
//   0-59    0-23  1-31          1-12|JAN-DEC 0-7|SUN-SAT (0 and 7 are Sunday)
//
// Each field is a comma-separated list of items: `*`, a value `5`, a range
// `1-5`, or any of those with a step (`*/15`, `8-18/2`, `5/20` = 5 to the
// field's maximum every 20). Names are case-insensitive and may form
// ranges (`MON-FRI`). Day of month and day of week follow the usual rule:
// when both are restricted (neither begins with `*`) a day matches if
// either does; otherwise both must match.
//
// Times are wall-clock times in the schedule's zone (absl::LoadTimeZone over
// the system's zoneinfo; Abseil's civil-time conversion decides every
// offset). Across daylight-saving changes:
//   - a wall-clock time that does not exist (spring forward, 02:30 in
//     America/New_York) fires once, at the moment the gap ends (03:00);
//   - a wall-clock time that occurs twice (fall back, 01:30) fires once, at
//     its first occurrence.
//
// Parse refuses, with INVALID_ARGUMENT naming the field and the value,
// anything else: a wrong number of fields, unknown characters or names,
// values out of range, reversed ranges, zero steps, an unknown or
// ill-formed zone name, and day-of-month/month combinations that never
// occur (`0 0 30 2 *`).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_CRON_H_
#define BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_CRON_H_

#include <bitset>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace bastion::schedules {

// Longest expression and zone name Parse accepts (hostile input is bounded).
inline constexpr size_t kMaxCronExpressionLength = 256;
inline constexpr size_t kMaxTimeZoneNameLength = 64;

// A parsed, valid schedule. Immutable; safe to share between threads.
class CronSchedule {
 public:
  static absl::StatusOr<CronSchedule> Parse(absl::string_view expression,
                                            absl::string_view time_zone);

  // The first firing strictly after `after`. The search is bounded by one
  // 400-year Gregorian cycle, within which every pattern that ever fires
  // does; NOT_FOUND past it (Parse refuses schedules that never fire, so a
  // parsed schedule always finds one). INVALID_ARGUMENT for an infinite
  // time.
  absl::StatusOr<absl::Time> NextAfter(absl::Time after) const;

  const std::string& expression() const { return expression_; }
  const std::string& time_zone() const { return time_zone_name_; }

 private:
  CronSchedule() = default;

  bool DayMatches(absl::CivilDay day) const;
  // The instant a matching wall-clock minute fires (see the DST rules above).
  absl::Time FireTime(absl::CivilMinute minute) const;

  std::string expression_;
  std::string time_zone_name_;
  absl::TimeZone zone_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1-31
  std::bitset<13> months_;         // 1-12
  std::bitset<7> days_of_week_;    // 0-6, Sunday is 0
  bool day_of_month_restricted_ = false;
  bool day_of_week_restricted_ = false;
};

// What a scheduler does when it looks at a schedule at `now`, having handled
// every firing up to and including `handled_through` (the last firing it
// ran, or when the schedule was created or changed).
struct DueFiring {
  // The firing to run now, if one or more fell in (handled_through, now]:
  // the earliest of them. However long the scheduler was away, a missed
  // window yields this one firing, never one per missed tick.
  std::optional<absl::Time> fire;
  // The first firing strictly after now (and after handled_through): what
  // the scheduler waits for next.
  absl::Time next;
};

// Pure: the same inputs always give the same answer. Errors are those of
// CronSchedule::NextAfter.
absl::StatusOr<DueFiring> DueAt(const CronSchedule& schedule,
                                absl::Time handled_through, absl::Time now);

}  // namespace bastion::schedules

#endif  // BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_CRON_H_
