#include "tools/cli/exit_codes.h"

#include <string>

#include "absl/strings/cord.h"

namespace bastion::cli {
namespace {

constexpr absl::string_view kUsagePayload = "bastion.cli/usage";
constexpr absl::string_view kRunEndedPayload = "bastion.cli/run-ended";

}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(kUsagePayload).has_value();
}

absl::Status RunEndedStatus(ExitCode code, absl::string_view message) {
  absl::Status status = absl::AbortedError(message);
  status.SetPayload(kRunEndedPayload, absl::Cord(std::to_string(code)));
  return status;
}

bool IsRunEnded(const absl::Status& status) {
  return status.GetPayload(kRunEndedPayload).has_value();
}

int ExitCodeFor(const absl::Status& status) {
  if (IsUsageError(status)) return kExitUsage;
  if (auto ended = status.GetPayload(kRunEndedPayload)) {
    const std::string text(*ended);
    if (text == std::to_string(kExitRunFailed)) return kExitRunFailed;
    if (text == std::to_string(kExitRunCancelled)) return kExitRunCancelled;
    if (text == std::to_string(kExitRunPaused)) return kExitRunPaused;
    return kExitOther;
  }
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kUnauthenticated:
      return kExitUnauthenticated;
    case absl::StatusCode::kPermissionDenied:
      return kExitPermissionDenied;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return kExitInvalid;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return kExitConflict;
    case absl::StatusCode::kResourceExhausted:
      return kExitRateLimited;
    case absl::StatusCode::kUnimplemented:
      return kExitUnimplemented;
    default:
      return kExitOther;
  }
}

const std::vector<ExitCodeDoc>& ExitCodeTable() {
  static const std::vector<ExitCodeDoc>* const kTable =
      new std::vector<ExitCodeDoc>{
          {kExitOk, "success"},
          {kExitOther, "other error (internal, unknown, cancelled)"},
          {kExitUsage,
           "bad command line (unknown command or flag, missing argument)"},
          {kExitUnauthenticated,
           "not logged in, or the credential was refused"},
          {kExitPermissionDenied, "the credential lacks the permission"},
          {kExitNotFound, "not found (or belongs to someone else)"},
          {kExitInvalid, "invalid argument or failed precondition"},
          {kExitUnavailable, "service unreachable or too slow"},
          {kExitConflict, "already exists, or a conflicting change"},
          {kExitRateLimited, "rate limit exceeded"},
          {kExitUnimplemented, "the server does not offer this call yet"},
          {kExitRunFailed, "the run failed"},
          {kExitRunCancelled, "the run was cancelled"},
          {kExitRunPaused,
           "the run paused for a decision (bastion continue, or an approver)"},
      };
  return *kTable;
}

}  // namespace bastion::cli
