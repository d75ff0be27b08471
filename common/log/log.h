// Structured one-line logs: each call writes one JSON object per line to
// stderr. Never pass secrets (tokens, keys, passwords) as field values.
#ifndef BASTION_COMMON_LOG_LOG_H_
#define BASTION_COMMON_LOG_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace bastion {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, absl::string_view>;

// Names the process in every line ("authn", "data", ...). Call once from
// main before serving; lines logged earlier carry "bastion".
void SetLogService(absl::string_view service);

// Writes {"ts":..., "level":..., "svc":..., "event":..., <fields>} as one
// line. Thread-safe: lines never interleave.
void Log(LogLevel level, absl::string_view event,
         std::initializer_list<LogField> fields = {});

// Renders one log line without writing it (exposed for tests).
std::string FormatLogLine(absl::string_view timestamp, LogLevel level,
                          absl::string_view service, absl::string_view event,
                          std::initializer_list<LogField> fields);

}  // namespace bastion

#endif  // BASTION_COMMON_LOG_LOG_H_
