#include "services/data/domain/runs.h"

#include <cstdint>
#include <string_view>

#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

constexpr size_t kMaxJsonBytes = 1 << 20;
// Longest staleness UpdateRun's session check accepts: one day.
constexpr int64_t kMaxSessionStaleMs = 24 * 60 * 60 * 1000;

// authn's delegation ids: "dlg_" and 128 bits in lowercase hex.
bool IsDelegationId(std::string_view id) {
  if (id.size() != 36 || id.substr(0, 4) != "dlg_") return false;
  for (char c : id.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Empty (no delegation) or one of authn's delegation ids.
absl::Status CheckDelegationId(std::string_view id) {
  if (id.empty() || IsDelegationId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "delegation_id must be \"dlg_\" and 32 lowercase hex digits");
}

// The end of a run: from running or pending to paused or a final status,
// with only the fields that status has.
absl::Status CheckEnd(const v1::RunEnd &end) {
  if (end.expected_status() != common::v1::RUN_STATUS_RUNNING &&
      end.expected_status() != common::v1::RUN_STATUS_PENDING) {
    return absl::InvalidArgumentError(
        "end.expected_status must be running or pending");
  }
  switch (end.status()) {
    case common::v1::RUN_STATUS_PAUSED:
    case common::v1::RUN_STATUS_COMPLETED:
    case common::v1::RUN_STATUS_FAILED:
    case common::v1::RUN_STATUS_CANCELLED:
      break;
    default:
      return absl::InvalidArgumentError(
          "end.status must be paused, completed, failed or cancelled");
  }
  if (end.output().size() > kMaxJsonBytes || end.error().size() > 65536) {
    return absl::InvalidArgumentError("end.output or end.error too large");
  }
  if (!end.output().empty() &&
      end.status() != common::v1::RUN_STATUS_COMPLETED) {
    return absl::InvalidArgumentError("end.output is for a completed run");
  }
  if (!end.error().empty() && end.status() != common::v1::RUN_STATUS_FAILED) {
    return absl::InvalidArgumentError("end.error is for a failed run");
  }
  if (!end.paused_tool_calls().empty() &&
      end.status() != common::v1::RUN_STATUS_PAUSED) {
    return absl::InvalidArgumentError(
        "end.paused_tool_calls are for a paused run");
  }
  return absl::OkStatus();
}

bool IsKnown(common::v1::RunStatus status) {
  switch (status) {
    case common::v1::RUN_STATUS_PENDING:
    case common::v1::RUN_STATUS_RUNNING:
    case common::v1::RUN_STATUS_PAUSED:
    case common::v1::RUN_STATUS_COMPLETED:
    case common::v1::RUN_STATUS_FAILED:
    case common::v1::RUN_STATUS_CANCELLED:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<v1::RunRecord> Runs::CreateRun(
    const Caller &caller, const v1::CreateRunRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckOptionalId(request.run_id(), "run_id"));
  RETURN_IF_ERROR(
      CheckComponent(request.component_type(), request.component_id()));
  RETURN_IF_ERROR(CheckOptionalId(request.session_id(), "session_id"));
  if (request.input_json().size() > kMaxJsonBytes) {
    return absl::InvalidArgumentError("input_json is larger than 1 MiB");
  }
  if (request.status() != common::v1::RUN_STATUS_UNSPECIFIED &&
      !IsKnown(request.status())) {
    return absl::InvalidArgumentError("unknown status");
  }
  RETURN_IF_ERROR(CheckDelegationId(request.delegation_id()));
  return store_.CreateRun(scope, request);
}

absl::StatusOr<v1::GetRunResponse> Runs::GetRun(
    const Caller &caller, const v1::GetRunRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.run_id(), "run_id"));
  RETURN_IF_ERROR(CheckComponentFilter(request.component_type()));
  if (request.events_after_seq() < 0) {
    return absl::InvalidArgumentError("events_after_seq must be >= 0");
  }
  return store_.GetRun(scope, request);
}

absl::StatusOr<v1::ListRunsResponse> Runs::ListRuns(
    const Caller &caller, const v1::ListRunsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  ASSIGN_OR_RETURN(storage::Page page,
                   PageOf("runs.created.desc", request.page()));
  RETURN_IF_ERROR(CheckComponentFilter(request.component_type()));
  return store_.ListRuns(scope, storage::ListFilter(scope, request.user_id()),
                         page, request);
}

absl::StatusOr<v1::RunRecord> Runs::UpdateRun(
    const Caller &caller, const v1::UpdateRunRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.run_id(), "run_id"));
  if (request.output().size() > kMaxJsonBytes ||
      request.error().size() > 65536) {
    return absl::InvalidArgumentError("output or error too large");
  }
  if (request.update_delegation_id()) {
    RETURN_IF_ERROR(CheckDelegationId(request.delegation_id()));
  }
  if (request.only_when_session_idle() &&
      (request.session_stale_after_ms() < 1 ||
       request.session_stale_after_ms() > kMaxSessionStaleMs)) {
    return absl::InvalidArgumentError(
        "session_stale_after_ms must be 1 to 86400000 with "
        "only_when_session_idle");
  }
  return store_.UpdateRun(scope, request);
}

absl::StatusOr<v1::AppendRunEventsResponse> Runs::AppendRunEvents(
    const Caller &caller, const v1::AppendRunEventsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.run_id(), "run_id"));
  if (request.events().empty() ||
      request.events_size() > storage::kMaxPageSize) {
    return absl::InvalidArgumentError("1 to 1000 events");
  }
  for (const v1::RunEventRecord &e : request.events()) {
    if (e.type().empty() || e.type().size() > 64) {
      return absl::InvalidArgumentError(
          "event type must have 1 to 64 characters");
    }
    if (e.payload_json().size() > kMaxJsonBytes) {
      return absl::InvalidArgumentError("event payload larger than 1 MiB");
    }
  }
  if (request.has_end()) RETURN_IF_ERROR(CheckEnd(request.end()));
  return store_.AppendRunEvents(scope, request);
}

}  // namespace bastion::data::domain
