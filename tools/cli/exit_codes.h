// The bastion command's exit codes: one documented number per kind of
// failure, so scripts can tell "not logged in" from "not found" from "the
// server is down" without parsing text.
#ifndef BASTION_TOOLS_CLI_EXIT_CODES_H_
#define BASTION_TOOLS_CLI_EXIT_CODES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bastion::cli {

// The codes (README "Command-line client" lists the same table).
enum ExitCode : int {
  kExitOk = 0,
  kExitOther = 1,             // INTERNAL, UNKNOWN, DATA_LOSS, CANCELLED
  kExitUsage = 2,             // bad command line (UsageError)
  kExitUnauthenticated = 3,   // not logged in, bad or expired credential
  kExitPermissionDenied = 4,  // the credential lacks the permission
  kExitNotFound = 5,          // no such item (or someone else's)
  kExitInvalid = 6,      // INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE
  kExitUnavailable = 7,  // UNAVAILABLE, DEADLINE_EXCEEDED
  kExitConflict = 8,     // ALREADY_EXISTS, ABORTED
  kExitRateLimited = 9,  // RESOURCE_EXHAUSTED
  kExitUnimplemented = 10,  // the server does not offer this call yet
  kExitRunFailed = 11,      // the run followed ended failed
  kExitRunCancelled = 12,   // the run followed was cancelled
  kExitRunPaused = 13,      // the run followed paused for a decision
};

// A mistake in the command line itself (unknown command or flag, missing or
// malformed argument). Carries INVALID_ARGUMENT plus a marker, so it exits
// with kExitUsage while a server's INVALID_ARGUMENT exits with kExitInvalid.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

// How a followed run ended when it did not complete: `code` is one of
// kExitRunFailed, kExitRunCancelled, kExitRunPaused. The run's events have
// already told the user, so the command prints no error line for it.
absl::Status RunEndedStatus(ExitCode code, absl::string_view message);
bool IsRunEnded(const absl::Status& status);

// The exit code for a command's result.
int ExitCodeFor(const absl::Status& status);

// One row of the documented table, for --help.
struct ExitCodeDoc {
  int code;
  std::string meaning;
};
const std::vector<ExitCodeDoc>& ExitCodeTable();

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_EXIT_CODES_H_
