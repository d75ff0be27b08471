#include "services/run_executor/schedules/schedule_manager.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/run_executor/runs/run_codec.h"
#include "services/run_executor/schedules/cron.h"

namespace bastion::schedules {
namespace {

std::string TimezoneOrUtc(const std::string& timezone) {
  return timezone.empty() ? "UTC" : timezone;
}

// The run input as data stores it (a JSON string), within data's bound.
absl::StatusOr<std::string> BoundedInputJson(const std::string& input) {
  std::string json = runs::InputJson(input);
  if (json.size() > kMaxScheduleInputBytes) {
    return absl::InvalidArgumentError("input is larger than 64 KiB");
  }
  return json;
}

// "agents", "teams" or "workflows": the resource whose `run` permission a
// run of `type` needs.
absl::StatusOr<std::string> ResourceOf(common::v1::ComponentType type) {
  switch (type) {
    case common::v1::COMPONENT_TYPE_AGENT:
      return std::string("agents");
    case common::v1::COMPONENT_TYPE_TEAM:
      return std::string("teams");
    case common::v1::COMPONENT_TYPE_WORKFLOW:
      return std::string("workflows");
    default:
      return absl::InvalidArgumentError("component_type is required");
  }
}

// Whether `stored` is the caller's own: an admin's data reads reach its
// tenant's (or every) schedule, but a schedule is only ever its creator's.
bool OwnedBy(const Caller& caller, const data::v1::Schedule& stored) {
  return stored.tenant_id() == caller.principal.tenant_id() &&
         stored.user_id() == caller.principal.subject();
}

// authn's answers that no retry changes: the grant is gone for good.
bool GrantIsDead(absl::StatusCode code) {
  return code == absl::StatusCode::kFailedPrecondition ||
         code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kPermissionDenied;
}

}  // namespace

runs::v1::Schedule PublicSchedule(const data::v1::Schedule& stored) {
  runs::v1::Schedule schedule;
  schedule.set_schedule_id(stored.schedule_id());
  schedule.set_cron(stored.cron());
  schedule.set_timezone(stored.timezone());
  schedule.set_component_type(stored.component_type());
  schedule.set_component_id(stored.component_id());
  schedule.set_input(runs::InputOf(stored.input_json()));
  schedule.set_enabled(stored.enabled());
  schedule.set_next_run_at_unix(stored.next_run_at_unix_micros() / 1000000);
  schedule.set_tenant_id(stored.tenant_id());
  schedule.set_user_id(stored.user_id());
  return schedule;
}

std::string NewScheduleId() {
  absl::BitGen random;
  return absl::StrFormat("sch-%016x%016x", absl::Uniform<uint64_t>(random),
                         absl::Uniform<uint64_t>(random));
}

ScheduleManager::ScheduleManager(ScheduleParts parts)
    : parts_(std::move(parts)) {}

absl::Status ScheduleManager::CheckRunnable(const Caller& caller,
                                            common::v1::ComponentType type,
                                            const std::string& id) const {
  ASSIGN_OR_RETURN(std::string resource, ResourceOf(type));
  absl::Status known;
  if (type == common::v1::COMPONENT_TYPE_AGENT) {
    known = parts_.registry->FindAgent(id).status();
  } else if (type == common::v1::COMPONENT_TYPE_TEAM) {
    known = parts_.registry->FindTeam(id).status();
  } else {
    known = parts_.registry->FindWorkflow(id).status();
  }
  RETURN_IF_ERROR(known);
  ASSIGN_OR_RETURN(AuthzDecision decision,
                   parts_.authorizer->Check(
                       caller, PermissionRequest{resource, "run", id}));
  if (!decision.allowed) {
    return absl::PermissionDeniedError(
        absl::StrCat("you may not run ", resource, ":", id,
                     ", so you may not schedule it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ScheduleManager::NextRunMicros(
    const std::string& cron, const std::string& timezone) const {
  ASSIGN_OR_RETURN(CronSchedule parsed,
                   CronSchedule::Parse(cron, TimezoneOrUtc(timezone)));
  ASSIGN_OR_RETURN(absl::Time next, parsed.NextAfter(parts_.clock->Now()));
  return absl::ToUnixMicros(next);
}

absl::StatusOr<runs::v1::Schedule> ScheduleManager::Create(
    const Caller& caller, const runs::v1::Schedule& schedule) {
  RETURN_IF_ERROR(CheckRunnable(caller, schedule.component_type(),
                                schedule.component_id()));
  data::v1::CreateScheduleRequest request;
  ASSIGN_OR_RETURN(int64_t next,
                   NextRunMicros(schedule.cron(), schedule.timezone()));
  ASSIGN_OR_RETURN(*request.mutable_input_json(), BoundedInputJson(schedule.input()));
  request.set_schedule_id(NewScheduleId());
  request.set_component_type(schedule.component_type());
  request.set_component_id(schedule.component_id());
  request.set_cron(schedule.cron());
  request.set_timezone(TimezoneOrUtc(schedule.timezone()));
  request.set_next_run_at_unix_micros(next);
  ASSIGN_OR_RETURN(
      authn::v1::ScheduleGrant grant,
      parts_.delegations->ExchangeForSchedule(caller, request.schedule_id()));
  request.set_grant_id(grant.grant_id());
  absl::StatusOr<data::v1::Schedule> stored =
      parts_.records->Create(caller, request);
  if (stored.ok() && !schedule.enabled()) {
    data::v1::UpdateScheduleRequest disable;
    disable.set_schedule_id(stored->schedule_id());
    disable.set_update_enabled(true);
    disable.set_enabled(false);
    stored = parts_.records->Update(caller, disable);
    if (!stored.ok()) {
      // Not left enabled against the caller's wish.
      data::v1::DeleteScheduleRequest undo;
      undo.set_schedule_id(request.schedule_id());
      (void)parts_.records->Delete(caller, undo);
    }
  }
  if (!stored.ok()) {
    // No grant outlives the schedule it was made for.
    (void)parts_.delegations->EndScheduleGrant(grant.grant_id());
    return stored.status();
  }
  return PublicSchedule(*stored);
}

absl::StatusOr<data::v1::Schedule> ScheduleManager::Own(
    const Caller& caller, const std::string& schedule_id) const {
  data::v1::GetScheduleRequest request;
  request.set_schedule_id(schedule_id);
  ASSIGN_OR_RETURN(data::v1::Schedule stored,
                   parts_.records->Get(caller, request));
  if (!OwnedBy(caller, stored)) {
    return absl::NotFoundError(
        absl::StrCat("schedule ", schedule_id, " not found"));
  }
  return stored;
}

absl::StatusOr<runs::v1::Schedule> ScheduleManager::Get(
    const Caller& caller, const std::string& schedule_id) {
  ASSIGN_OR_RETURN(data::v1::Schedule stored, Own(caller, schedule_id));
  return PublicSchedule(stored);
}

absl::StatusOr<runs::v1::ListSchedulesResponse> ScheduleManager::List(
    const Caller& caller, const runs::v1::ListSchedulesRequest& request) {
  data::v1::ListSchedulesRequest list;
  *list.mutable_page() = request.page();
  ASSIGN_OR_RETURN(data::v1::ListSchedulesResponse stored,
                   parts_.records->List(caller, list));
  runs::v1::ListSchedulesResponse response;
  for (const data::v1::Schedule& schedule : stored.schedules()) {
    if (OwnedBy(caller, schedule)) {
      *response.add_schedules() = PublicSchedule(schedule);
    }
  }
  *response.mutable_page() = stored.page();
  return response;
}

absl::StatusOr<runs::v1::Schedule> ScheduleManager::Update(
    const Caller& caller, const runs::v1::UpdateScheduleRequest& request) {
  ASSIGN_OR_RETURN(data::v1::Schedule current,
                   Own(caller, request.schedule_id()));
  std::string cron = request.schedule().cron();
  std::string timezone = request.schedule().timezone();
  if (cron.empty()) {
    cron = current.cron();
    timezone = current.timezone();
  }
  data::v1::UpdateScheduleRequest update;
  update.set_schedule_id(request.schedule_id());
  ASSIGN_OR_RETURN(int64_t next, NextRunMicros(cron, timezone));
  ASSIGN_OR_RETURN(*update.mutable_input_json(),
                   BoundedInputJson(request.schedule().input()));
  update.set_update_cron(true);
  update.set_cron(cron);
  update.set_timezone(TimezoneOrUtc(timezone));
  update.set_next_run_at_unix_micros(next);
  update.set_update_input(true);
  update.set_update_enabled(true);
  update.set_enabled(request.schedule().enabled());
  ASSIGN_OR_RETURN(data::v1::Schedule stored,
                   parts_.records->Update(caller, update));
  return PublicSchedule(stored);
}

absl::Status ScheduleManager::Delete(const Caller& caller,
                                     const std::string& schedule_id) {
  ASSIGN_OR_RETURN(data::v1::Schedule stored, Own(caller, schedule_id));
  data::v1::DeleteScheduleRequest request;
  request.set_schedule_id(schedule_id);
  RETURN_IF_ERROR(parts_.records->Delete(caller, request));
  absl::Status ended = parts_.delegations->EndScheduleGrant(stored.grant_id());
  if (!ended.ok()) {
    // The grant can make no run without its schedule row; it ends with the
    // credential it came from.
    Log(LogLevel::kWarning, "schedule_grant_not_ended",
        {{"schedule_id", schedule_id},
         {"code", absl::StatusCodeToString(ended.code())}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScheduleManager::Trigger(
    const Caller& caller, const std::string& schedule_id) {
  ASSIGN_OR_RETURN(data::v1::Schedule stored, Own(caller, schedule_id));
  Firing firing = Fire(stored);
  if (firing.stop) {
    data::v1::UpdateScheduleRequest disable;
    disable.set_schedule_id(schedule_id);
    disable.set_update_enabled(true);
    disable.set_enabled(false);
    (void)parts_.records->Update(caller, disable);
  }
  if (!firing.status.ok()) return firing.status;
  return firing.run_id;
}

void ScheduleManager::Audit(const data::v1::Schedule& stored,
                            const std::string& reason) const {
  if (parts_.audit == nullptr) return;
  AuditRecord record;
  record.tenant_id = stored.tenant_id();
  record.user_id = stored.user_id();
  record.action = "schedules.refused";
  record.resource = "schedules";
  record.resource_id = stored.schedule_id();
  record.method = "/bastion.runs.v1.Schedules/fire";
  record.reason = reason;
  record.occurred_at_unix_micros = absl::ToUnixMicros(parts_.clock->Now());
  parts_.audit->Record(std::move(record));
}

Firing ScheduleManager::Fire(const data::v1::Schedule& stored) {
  Firing firing;
  absl::StatusOr<std::string> resource = ResourceOf(stored.component_type());
  if (!resource.ok()) {
    firing.status = resource.status();
    firing.stop = true;
    return firing;
  }
  const std::string component =
      absl::StrCat(*resource, ":", stored.component_id());
  const std::string run_id = runs::NewRunId();
  absl::StatusOr<authn::v1::DelegationGrant> grant =
      parts_.delegations->ExchangeScheduleForRun(stored.grant_id(), run_id);
  if (!grant.ok()) {
    if (!GrantIsDead(grant.status().code())) {
      firing.status = absl::UnavailableError(
          "authn is unavailable: the schedule cannot act for its creator now");
      return firing;
    }
    const std::string reason = absl::StrCat(
        "schedule ", stored.schedule_id(), " can no longer run ", component,
        ": its grant ended (", grant.status().message(), ")");
    Audit(stored, reason);
    firing.status = absl::FailedPreconditionError(reason);
    firing.stop = true;
    return firing;
  }
  absl::StatusOr<VerifiedAssertion> verified =
      parts_.assertions->VerifyPresentedBy(grant->delegation(), parts_.holder);
  // The delegation must be for this run and act for the schedule's owner,
  // nobody else, whatever the grant row says.
  const bool as_owner =
      verified.ok() && verified->delegation_run_id == run_id &&
      verified->principal.tenant_id() == stored.tenant_id() &&
      verified->principal.subject() == stored.user_id();
  absl::StatusOr<std::unique_ptr<runs::RunDelegation>> delegation =
      as_owner
          ? runs::RunDelegation::FromGrant(
                parts_.delegations, verified->principal, *grant,
                parts_.delegation_check_interval, parts_.clock)
          : absl::UnavailableError("authn granted another delegation");
  if (!delegation.ok()) {
    (void)parts_.delegations->End(grant->delegation_id());
    Log(LogLevel::kError, "schedule_delegation_unverified",
        {{"schedule_id", stored.schedule_id()},
         {"error", verified.ok() ? std::string(delegation.status().message())
                                 : std::string(verified.status().message())}});
    firing.status = absl::UnavailableError(
        "the schedule's delegation could not be verified");
    return firing;
  }
  // Under the policy current now (no cached decision), through the
  // delegation (its scopes, its roles).
  absl::StatusOr<AuthzDecision> decision = parts_.authorizer->Check(
      (*delegation)->Current(),
      PermissionRequest{*resource, "run", stored.component_id(),
                        /*fresh=*/true});
  if (!decision.ok()) {
    (*delegation)->End();
    firing.status = absl::UnavailableError(
        "authz is unavailable: the schedule's permission cannot be checked "
        "now");
    return firing;
  }
  absl::Status refused;
  if (!decision->allowed) {
    refused = absl::PermissionDeniedError(absl::StrCat(
        "schedule ", stored.schedule_id(), " may no longer run ", component,
        ": its creator does not hold that permission under the current "
        "policy (run ", run_id, " failed; the schedule is disabled)"));
    Audit(stored, std::string(refused.message()));
    firing.stop = true;
  }
  runs::RunManager::StartRequest start;
  start.component_type = stored.component_type();
  start.component_id = stored.component_id();
  start.input = runs::InputOf(stored.input_json());
  absl::StatusOr<std::string> started = parts_.runs->StartDelegated(
      *std::move(delegation), run_id, start, std::move(refused));
  firing.status = started.status();
  // A refused firing leaves its failed run.
  if (started.ok() || !decision->allowed) firing.run_id = run_id;
  return firing;
}

}  // namespace bastion::schedules
