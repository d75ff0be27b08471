#include "services/data/domain/schedules.h"

#include <string>

#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

constexpr size_t kMaxInputBytes = 64 * 1024;

absl::Status CheckCron(const std::string &cron, const std::string &timezone) {
  int fields = 0;
  bool in_field = false;
  for (char c : cron) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                    (c >= 'a' && c <= 'z') || c == '*' || c == '/' ||
                    c == ',' || c == '-' || c == ' ' || c == '?';
    if (!ok) return absl::InvalidArgumentError("cron has invalid characters");
    if (c != ' ' && !in_field) ++fields;
    in_field = c != ' ';
  }
  if (cron.size() > 128 || fields != 5) {
    return absl::InvalidArgumentError("cron must have five fields");
  }
  for (char c : timezone) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                    (c >= 'a' && c <= 'z') || c == '/' || c == '_' ||
                    c == '+' || c == '-';
    if (!ok) return absl::InvalidArgumentError("timezone is invalid");
  }
  if (timezone.size() > 64) {
    return absl::InvalidArgumentError("timezone is invalid");
  }
  return absl::OkStatus();
}

std::string TimezoneOf(const std::string &timezone) {
  return timezone.empty() ? "UTC" : timezone;
}

// The schedule grant's id as authn makes it: "sgr_" and 32 hex digits.
absl::Status CheckGrantId(const std::string &grant_id) {
  bool ok = grant_id.size() == 36 && grant_id.rfind("sgr_", 0) == 0;
  for (size_t i = 4; ok && i < grant_id.size(); ++i) {
    const char c = grant_id[i];
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (grant_id.empty() || ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "grant_id must be \"sgr_\" and 32 lowercase hex digits");
}

// The scheduler's rows reach across every tenant; only a Bastion service's
// own call (the guard verified the service and its grant of the method)
// gets that reach, as the platform level of row security.
absl::StatusOr<pg::PrincipalScope> SchedulerScopeOf(const Caller &caller) {
  const common::v1::Principal &principal = caller.principal;
  if (caller.calling_service.empty() ||
      principal.tenant_id() != kServiceTenant ||
      principal.subject() != caller.calling_service) {
    return absl::PermissionDeniedError(
        "only the scheduler, a Bastion service, claims due schedules");
  }
  return pg::PrincipalScope{principal.tenant_id(), principal.subject(),
                            pg::AdminLevel::kPlatform};
}

absl::Status CheckClaimer(const std::string &claimer_id) {
  if (claimer_id.empty() || claimer_id.size() > 128) {
    return absl::InvalidArgumentError(
        "claimer_id must have 1 to 128 characters");
  }
  return absl::OkStatus();
}

absl::Status CheckInput(const std::string &input) {
  if (input.size() > kMaxInputBytes) {
    return absl::InvalidArgumentError("input_json is larger than 64 KiB");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Schedule> Schedules::CreateSchedule(
    const Caller &caller, const v1::CreateScheduleRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckOptionalId(request.schedule_id(), "schedule_id"));
  RETURN_IF_ERROR(
      CheckComponent(request.component_type(), request.component_id()));
  RETURN_IF_ERROR(CheckCron(request.cron(), TimezoneOf(request.timezone())));
  RETURN_IF_ERROR(CheckInput(request.input_json()));
  RETURN_IF_ERROR(CheckGrantId(request.grant_id()));
  return store_.CreateSchedule(scope, request, caller.principal.scopes());
}

absl::StatusOr<v1::Schedule> Schedules::GetSchedule(
    const Caller &caller, const v1::GetScheduleRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.schedule_id(), "schedule_id"));
  return store_.GetSchedule(scope, request);
}

absl::StatusOr<v1::ListSchedulesResponse> Schedules::ListSchedules(
    const Caller &caller, const v1::ListSchedulesRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  ASSIGN_OR_RETURN(storage::Page page,
                   PageOf("schedules.created.asc", request.page()));
  return store_.ListSchedules(scope, storage::ListFilter(scope, ""), page,
                              request);
}

absl::StatusOr<v1::Schedule> Schedules::UpdateSchedule(
    const Caller &caller, const v1::UpdateScheduleRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.schedule_id(), "schedule_id"));
  if (request.update_cron()) {
    RETURN_IF_ERROR(CheckCron(request.cron(), TimezoneOf(request.timezone())));
  }
  if (request.update_input()) RETURN_IF_ERROR(CheckInput(request.input_json()));
  return store_.UpdateSchedule(scope, request);
}

absl::Status Schedules::DeleteSchedule(
    const Caller &caller, const v1::DeleteScheduleRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.schedule_id(), "schedule_id"));
  return store_.DeleteSchedule(scope, request);
}

absl::StatusOr<v1::ClaimDueSchedulesResponse> Schedules::ClaimDueSchedules(
    const Caller &caller, const v1::ClaimDueSchedulesRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, SchedulerScopeOf(caller));
  RETURN_IF_ERROR(CheckClaimer(request.claimer_id()));
  if (request.limit() < 1 || request.limit() > 100 ||
      request.lease_seconds() < 1 || request.lease_seconds() > 3600) {
    return absl::InvalidArgumentError(
        "limit must be 1 to 100 and lease_seconds 1 to 3600");
  }
  return store_.ClaimDueSchedules(scope, request);
}

absl::StatusOr<v1::Schedule> Schedules::AdvanceSchedule(
    const Caller &caller, const v1::AdvanceScheduleRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, SchedulerScopeOf(caller));
  RETURN_IF_ERROR(CheckClaimer(request.claimer_id()));
  RETURN_IF_ERROR(CheckId(request.tenant_id(), "tenant_id"));
  RETURN_IF_ERROR(CheckId(request.schedule_id(), "schedule_id"));
  if (request.next_run_at_unix_micros() < 0) {
    return absl::InvalidArgumentError(
        "next_run_at_unix_micros must not be negative");
  }
  return store_.AdvanceSchedule(scope, request);
}

}  // namespace bastion::data::domain
