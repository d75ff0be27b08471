#include "services/run_executor/tools/current_time.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/run_executor/tools/tool_json.h"

namespace bastion::runs {
namespace {

constexpr size_t kMaxZoneNameLength = 64;

constexpr char kSchema[] = R"json({
  "type": "object",
  "properties": {
    "timezone": {
      "type": "string",
      "description": "IANA time zone, e.g. Europe/Paris; default UTC",
      "maxLength": 64
    }
  },
  "additionalProperties": false
})json";

// IANA names are paths under the zoneinfo folder ("America/Argentina/
// Buenos_Aires", "Etc/GMT+5"); anything else could name another file.
bool LooksLikeZoneName(const std::string& name) {
  if (name.empty() || name.size() > kMaxZoneNameLength) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '+' && c != '-' &&
        c != '/') {
      return false;
    }
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty()) return false;  // leading, trailing or doubled '/'
  }
  // Abseil maps this name to the host's configured zone, not an IANA one.
  return name != "localtime";
}

}  // namespace

CurrentTimeTool::CurrentTimeTool(const Clock* clock)
    : clock_(clock),
      definition_{"current_time",
                  "Returns the current date and time in UTC and, when a "
                  "time zone is given, in that zone.",
                  kSchema} {}

absl::StatusOr<ToolOutcome> CurrentTimeTool::Invoke(
    const ToolInvocation& invocation) const {
  absl::StatusOr<nlohmann::json> arguments = ArgumentsOf(invocation);
  if (!arguments.ok()) return ErrorResult(std::string(arguments.status().message()));
  absl::StatusOr<std::optional<std::string>> zone_name =
      OptionalString(*arguments, "timezone");
  if (!zone_name.ok()) return ErrorResult(std::string(zone_name.status().message()));
  const std::string name = zone_name->value_or("UTC");

  absl::TimeZone zone;
  if (!LooksLikeZoneName(name) || !absl::LoadTimeZone(name, &zone)) {
    return ErrorResult(
        "unknown time zone: give an IANA name such as \"Europe/Paris\" or "
        "\"UTC\"");
  }
  const absl::Time now = clock_->Now();
  nlohmann::json result;
  result["utc"] = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  result["timezone"] = name;
  result["local"] = absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", now, zone);
  result["weekday"] = absl::FormatTime("%A", now, zone);
  result["unix"] = absl::ToUnixSeconds(now);
  return JsonResult(result);
}

}  // namespace bastion::runs
