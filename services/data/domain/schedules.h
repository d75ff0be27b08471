// The schedule records domain: checks the schedule requests a trusted
// service makes for a user (or the scheduler's claims) and decides whose
// rows they reach, then hands them to the store.
#ifndef BASTION_SERVICES_DATA_DOMAIN_SCHEDULES_H_
#define BASTION_SERVICES_DATA_DOMAIN_SCHEDULES_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "services/data/storage/schedule_store.h"

namespace bastion::data::domain {

// Every call acts as the caller, like Sessions (sessions.h). Thread-safe;
// `store` must outlive it.
class Schedules {
 public:
  explicit Schedules(storage::ScheduleStore &store) : store_(store) {}

  // A five-field cron, a timezone (UTC by default), input of at most
  // 64 KiB. The schedule keeps the caller's own scopes (never the
  // request's), which its runs act with.
  absl::StatusOr<v1::Schedule> CreateSchedule(
      const Caller &caller, const v1::CreateScheduleRequest &request);
  absl::StatusOr<v1::Schedule> GetSchedule(
      const Caller &caller, const v1::GetScheduleRequest &request);
  absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      const Caller &caller, const v1::ListSchedulesRequest &request);
  absl::StatusOr<v1::Schedule> UpdateSchedule(
      const Caller &caller, const v1::UpdateScheduleRequest &request);
  absl::Status DeleteSchedule(const Caller &caller,
                              const v1::DeleteScheduleRequest &request);
  // The scheduler's calls, across every tenant: a Bastion service's own
  // call (no user principal; the guard admits only the services granted
  // the method, run-executor in the suite), PERMISSION_DENIED for anyone
  // else, a platform admin user included (a claim would hold due schedules
  // back from the real scheduler for the lease).
  absl::StatusOr<v1::ClaimDueSchedulesResponse> ClaimDueSchedules(
      const Caller &caller, const v1::ClaimDueSchedulesRequest &request);
  // Ends the claim `claimer_id` holds with the next due time (FAILED_
  // PRECONDITION when it holds none on that schedule).
  absl::StatusOr<v1::Schedule> AdvanceSchedule(
      const Caller &caller, const v1::AdvanceScheduleRequest &request);

 private:
  storage::ScheduleStore &store_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_SCHEDULES_H_
