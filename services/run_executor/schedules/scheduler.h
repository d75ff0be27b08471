// The scheduler of one run-executor replica: every poll interval it claims
// due schedules from data (ScheduleRecords.ClaimDueSchedules: each due
// schedule is claimed by one replica only, so two replicas never fire one
// twice), fires each (ScheduleManager::Fire, as its creator through its
// grant), and advances it to its next firing after now. However long the
// replicas were away, a missed window fires once, not once per missed tick.
// A firing that could not be made because authn or authz did not answer
// keeps its claim and is retried by any replica once the lease ends.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULER_H_

#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/run_executor/schedules/schedule_manager.h"
#include "services/run_executor/schedules/schedule_records.h"

namespace bastion::schedules {

struct SchedulerOptions {
  absl::Duration poll_interval = absl::Seconds(5);
  absl::Duration claim_lease = absl::Seconds(60);
  // Schedules claimed per round (1 to 100).
  int batch = 20;
  // Unique per replica (NewClaimerId()).
  std::string claimer_id;
};

// "<host>-<pid>-<random>": a claimer id no other replica has.
std::string NewClaimerId();

// Not owned: `manager` and `records` must outlive the scheduler.
class Scheduler {
 public:
  Scheduler(ScheduleManager* manager, ScheduleRecords* records,
            SchedulerOptions options);
  // Stops the loop and waits for the round in progress.
  ~Scheduler();

  // Runs rounds every poll interval on a thread of its own.
  void Start();

  // One round: claims due schedules and fires each. Returns how many it
  // handled (fired, refused or stopped; deferred ones not counted).
  absl::StatusOr<int> RunOnce();

 private:
  void Loop();

  ScheduleManager* const manager_;
  ScheduleRecords* const records_;
  const SchedulerOptions options_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace bastion::schedules

#endif  // BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULER_H_
