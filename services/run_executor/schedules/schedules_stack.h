// Everything the Schedules service and this replica's scheduler need,
// built once at startup: data's ScheduleRecords over the service's channel,
// the RunsStack's delegations and RunManager for the scheduled runs, the
// ScheduleManager, and the Scheduler (started unless the config disables
// it).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULES_STACK_H_
#define BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULES_STACK_H_

#include <memory>

#include "absl/status/statusor.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/auth/call_guard.h"
#include "common/auth/channel_factory.h"
#include "services/run_executor/registry.h"
#include "services/run_executor/runs/runs_stack.h"
#include "services/run_executor/schedules/schedule_manager.h"
#include "services/run_executor/schedules/scheduler.h"

namespace bastion::schedules {

// The scheduler's options from the config (defaults for unset fields).
// INVALID_ARGUMENT naming the field for a value out of range.
absl::StatusOr<SchedulerOptions> SchedulerOptionsFrom(
    const runs::v1::SchedulerConfig& config);

// Owns its parts; the scheduler stops first.
class SchedulesStack {
 public:
  // `registry`, `dependencies` (authorizer, assertion verifier, audit),
  // `channels` and `runs` must outlive the stack. data_address is required.
  static absl::StatusOr<std::unique_ptr<SchedulesStack>> Create(
      const runs::v1::RunExecutorConfig& config,
      const runs::AgentRegistry* registry,
      const GuardDependencies& dependencies, const ChannelFactory* channels,
      runs::RunsStack* runs);

  ScheduleManager* manager() { return manager_.get(); }

 private:
  SchedulesStack() = default;

  std::unique_ptr<ScheduleRecords> records_;
  std::unique_ptr<ScheduledRuns> runs_;
  std::unique_ptr<ScheduleManager> manager_;
  // Declared last: stopped first.
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace bastion::schedules

#endif  // BASTION_SERVICES_RUN_EXECUTOR_SCHEDULES_SCHEDULES_STACK_H_
