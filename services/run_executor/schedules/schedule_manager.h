// The Schedules domain: the caller's schedules, kept in data's
// ScheduleRecords as the caller, and their firings. Every call reaches only
// the caller's own schedules: another user's is NOT_FOUND exactly as a
// missing one, for admins too (data shows an admin its tenant's rows; a
// schedule is still only ever managed and triggered by its creator, whose
// runs it makes).
//
//   component type missing                      INVALID_ARGUMENT
//   component not in the registry               NOT_FOUND
//   caller may not run the component (authz, the permission the guard asks
//   for RunAgent/RunTeam/RunWorkflow: agents:<id>:run ...)
//                                               PERMISSION_DENIED
//   authz or authn cannot answer                UNAVAILABLE (fail closed)
//   cron or timezone invalid                    INVALID_ARGUMENT naming it
//   input larger than 64 KiB                    INVALID_ARGUMENT
//
// Creating a schedule exchanges the creator's assertion with authn for a
// schedule grant (authn.v1.Delegations.ExchangeForSchedule): bound to the
// schedule, to the creator and to the scopes it holds now, held by this
// service. Deleting the schedule ends the grant. Every change of cron,
// timezone or enabled flag recomputes the next firing from now, so a
// schedule re-enabled after a pause does not fire for the time it was off.
//
// A firing (the scheduler's, or TriggerSchedule's) never acts with more
// than the schedule allows: the grant is exchanged for a delegation bound
// to one new run, holding the grant's principal and scopes and nothing
// else; authz then decides, on that delegation and under the policy
// current now, whether it may run the component. No service identity runs
// the work.
//   grant ended (deleted, or the credential it   no run; the schedule is
//   came from revoked or expired)                disabled; audited
//   authz refuses (a role lost the permission)   a FAILED run saying why;
//                                                the schedule is disabled;
//                                                audited
//   authn or authz unreachable                   no run (the scheduler
//                                                retries after its lease)
#ifndef BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULE_MANAGER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULE_MANAGER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bastion/runs/v1/runs.pb.h"
#include "common/auth/audit_sink.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"
#include "services/run_executor/registry.h"
#include "services/run_executor/runs/run_delegation.h"
#include "services/run_executor/runs/run_manager.h"
#include "services/run_executor/schedules/schedule_records.h"

namespace bastion::schedules {

// Largest input of a schedule (its JSON text, as data bounds it).
inline constexpr size_t kMaxScheduleInputBytes = 64 * 1024;

// The public view of a stored schedule (`name` is not stored: empty).
runs::v1::Schedule PublicSchedule(const data::v1::Schedule& stored);

// A fresh schedule id: "sch-" and 128 random bits in hex.
std::string NewScheduleId();

// Starts a scheduled run (RunManager::StartDelegated in a deployment; a
// fake in unit tests). Thread-safe.
class ScheduledRuns {
 public:
  virtual ~ScheduledRuns() = default;
  virtual absl::StatusOr<std::string> StartDelegated(
      std::unique_ptr<runs::RunDelegation> delegation,
      const std::string& run_id, const runs::RunManager::StartRequest& request,
      absl::Status refused) = 0;
};

// ScheduledRuns through the replica's RunManager (not owned).
class RunManagerScheduledRuns final : public ScheduledRuns {
 public:
  explicit RunManagerScheduledRuns(runs::RunManager* manager)
      : manager_(manager) {}
  absl::StatusOr<std::string> StartDelegated(
      std::unique_ptr<runs::RunDelegation> delegation,
      const std::string& run_id, const runs::RunManager::StartRequest& request,
      absl::Status refused) override {
    return manager_->StartDelegated(std::move(delegation), run_id, request,
                                    std::move(refused));
  }

 private:
  runs::RunManager* const manager_;
};

// What a ScheduleManager works with. Not owned; all must outlive it.
struct ScheduleParts {
  const runs::AgentRegistry* registry = nullptr;
  // May the creator (or a firing's delegation) run the component.
  Authorizer* authorizer = nullptr;
  // Verifies the run delegations authn grants, as presented by `holder`.
  AssertionAuthenticator* assertions = nullptr;
  // This service's subject ("service:run_executor"): the grants' holder.
  std::string holder;
  ScheduleRecords* records = nullptr;
  runs::DelegationClient* delegations = nullptr;
  ScheduledRuns* runs = nullptr;
  // Where refused firings are audited; may be null.
  AuditSink* audit = nullptr;
  const Clock* clock = SystemClock::Get();
  // As RunsOptions::delegation_check_interval.
  absl::Duration delegation_check_interval = absl::Seconds(5);
};

// The outcome of one firing.
struct Firing {
  // The run made; empty when none was (the grant ended, or authn or authz
  // could not answer).
  std::string run_id;
  // OK when the run started.
  absl::Status status;
  // The schedule can no longer fire as it is: disable it.
  bool stop = false;
};

// Thread-safe: everything it holds is.
class ScheduleManager {
 public:
  explicit ScheduleManager(ScheduleParts parts);

  // Creates `schedule` for the caller; id, tenant, user and next run are
  // set here (the request's are ignored).
  absl::StatusOr<runs::v1::Schedule> Create(const Caller& caller,
                                            const runs::v1::Schedule& schedule);
  absl::StatusOr<runs::v1::Schedule> Get(const Caller& caller,
                                         const std::string& schedule_id);
  absl::StatusOr<runs::v1::ListSchedulesResponse> List(
      const Caller& caller, const runs::v1::ListSchedulesRequest& request);
  // Takes the request's cron and timezone (when cron is set; otherwise the
  // stored ones), input and enabled flag.
  absl::StatusOr<runs::v1::Schedule> Update(
      const Caller& caller, const runs::v1::UpdateScheduleRequest& request);
  // Deletes the schedule and ends its grant.
  absl::Status Delete(const Caller& caller, const std::string& schedule_id);
  // Fires the caller's schedule now; returns the run's id. A refused
  // firing answers PERMISSION_DENIED naming the schedule, the component and
  // the failed run (FAILED_PRECONDITION when the grant ended), and disables
  // the schedule.
  absl::StatusOr<std::string> Trigger(const Caller& caller,
                                      const std::string& schedule_id);

  // One firing of `stored` (claimed by the scheduler, or the owner's own),
  // as the file comment describes.
  Firing Fire(const data::v1::Schedule& stored);

  // The first firing of `cron` in `timezone` after now, in microseconds
  // since the Unix epoch; INVALID_ARGUMENT naming what is wrong.
  absl::StatusOr<int64_t> NextRunMicros(const std::string& cron,
                                        const std::string& timezone) const;

 private:
  // The caller's own schedule `schedule_id`; NOT_FOUND otherwise.
  absl::StatusOr<data::v1::Schedule> Own(const Caller& caller,
                                         const std::string& schedule_id) const;
  // OK when the component exists and the caller may run it.
  absl::Status CheckRunnable(const Caller& caller,
                             common::v1::ComponentType type,
                             const std::string& id) const;
  void Audit(const data::v1::Schedule& stored, const std::string& reason) const;

  const ScheduleParts parts_;
};

}  // namespace bastion::schedules

#endif  // BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULE_MANAGER_H_
