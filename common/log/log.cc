#include "common/log/log.h"

#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace bastion {
namespace {

absl::Mutex& LogMutex() {
  static absl::Mutex* mutex = new absl::Mutex();
  return *mutex;
}

// Guarded by LogMutex(); leaked on purpose so logging works during exit.
std::string* service_name = new std::string("bastion");

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// JSON string escaping; control characters become \u00XX so a hostile value
// can never break the one-line-per-event shape.
void AppendJsonString(std::string* out, absl::string_view value) {
  out->push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendField(std::string* out, absl::string_view key,
                 absl::string_view value) {
  out->push_back(',');
  AppendJsonString(out, key);
  out->push_back(':');
  AppendJsonString(out, value);
}

}  // namespace

void SetLogService(absl::string_view service) {
  absl::MutexLock lock(&LogMutex());
  service_name->assign(service.data(), service.size());
}

std::string FormatLogLine(absl::string_view timestamp, LogLevel level,
                          absl::string_view service, absl::string_view event,
                          std::initializer_list<LogField> fields) {
  std::string line = "{";
  AppendJsonString(&line, "ts");
  line.push_back(':');
  AppendJsonString(&line, timestamp);
  AppendField(&line, "level", LevelName(level));
  AppendField(&line, "svc", service);
  AppendField(&line, "event", event);
  for (const LogField& field : fields) {
    AppendField(&line, field.first, field.second);
  }
  line.append("}\n");
  return line;
}

void Log(LogLevel level, absl::string_view event,
         std::initializer_list<LogField> fields) {
  const std::string timestamp = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  absl::MutexLock lock(&LogMutex());
  const std::string line =
      FormatLogLine(timestamp, level, *service_name, event, fields);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace bastion
