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
  if (request.update_delegation_id() && !request.delegation_id().empty() &&
      !IsDelegationId(request.delegation_id())) {
    return absl::InvalidArgumentError(
        "delegation_id must be \"dlg_\" and 32 lowercase hex digits");
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
  return store_.AppendRunEvents(scope, request);
}

}  // namespace bastion::data::domain
