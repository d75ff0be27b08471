#include "common/pg/pg_error.h"

#include <string>

#include "absl/strings/string_view.h"
#include "common/log/log.h"

namespace bastion::pg {
namespace {

// Debian's Abseil has its own string_view, so std::string_view stays local.
bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// One structured log line (common/log escapes it, so a server message
// cannot forge lines).
void LogPgError(std::string_view context, std::string_view sqlstate,
                std::string_view raw) {
  Log(LogLevel::kWarning, "pg_error",
      {{"context", View(context)},
       {"sqlstate", sqlstate.empty() ? "-" : View(sqlstate)},
       {"error", View(raw)}});
}

}  // namespace

absl::Status StatusFromSqlState(std::string_view sqlstate,
                                bool connection_lost) {
  if (connection_lost || HasPrefix(sqlstate, "08") ||
      sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
      sqlstate == "53300") {
    return absl::UnavailableError("database unavailable");
  }
  if (sqlstate == "23505" || sqlstate == "23P01") {
    return absl::AlreadyExistsError("already exists");
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return absl::AbortedError("transaction conflict; retry");
  }
  if (sqlstate == "23503") {
    return absl::FailedPreconditionError("referenced record does not exist");
  }
  if (sqlstate == "23502" || sqlstate == "23514" ||
      HasPrefix(sqlstate, "22")) {
    return absl::InvalidArgumentError("invalid value");
  }
  if (HasPrefix(sqlstate, "23")) {
    return absl::FailedPreconditionError("constraint violated");
  }
  if (sqlstate == "57014") {
    return absl::DeadlineExceededError("database statement timed out");
  }
  return absl::InternalError("internal database error");
}

absl::Status StatusFromPg(const PGresult* result, const PGconn* conn,
                          std::string_view context) {
  const char* state =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view sqlstate = state != nullptr ? state : "";
  // Only the primary message: DETAIL and CONTEXT can quote row values and
  // parameters, which do not belong in logs.
  const char* raw = nullptr;
  if (result != nullptr) {
    raw = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  }
  if ((raw == nullptr || *raw == '\0') && conn != nullptr) {
    raw = PQerrorMessage(conn);
  }
  const bool lost = conn == nullptr || PQstatus(conn) != CONNECTION_OK;
  LogPgError(context, sqlstate, raw != nullptr ? raw : "");
  return StatusFromSqlState(sqlstate, lost);
}

}  // namespace bastion::pg
