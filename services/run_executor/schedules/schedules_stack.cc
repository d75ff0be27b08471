#include "services/run_executor/schedules/schedules_stack.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace bastion::schedules {

absl::StatusOr<SchedulerOptions> SchedulerOptionsFrom(
    const runs::v1::SchedulerConfig& config) {
  if (config.poll_interval_ms() < 0) {
    return absl::InvalidArgumentError(
        "scheduler.poll_interval_ms must not be negative");
  }
  if (config.claim_lease_seconds() < 0 || config.claim_lease_seconds() > 3600) {
    return absl::InvalidArgumentError(
        "scheduler.claim_lease_seconds must be 0 to 3600");
  }
  SchedulerOptions options;
  if (config.poll_interval_ms() > 0) {
    options.poll_interval = absl::Milliseconds(config.poll_interval_ms());
  }
  if (config.claim_lease_seconds() > 0) {
    options.claim_lease = absl::Seconds(config.claim_lease_seconds());
  }
  options.claimer_id = NewClaimerId();
  return options;
}

absl::StatusOr<std::unique_ptr<SchedulesStack>> SchedulesStack::Create(
    const runs::v1::RunExecutorConfig& config,
    const runs::AgentRegistry* registry, const GuardDependencies& dependencies,
    const ChannelFactory* channels, runs::RunsStack* runs) {
  if (config.data_address().empty()) {
    return absl::InvalidArgumentError("data_address is required");
  }
  if (dependencies.authorizer == nullptr || dependencies.assertions == nullptr) {
    return absl::InvalidArgumentError(
        "schedules need authz and authn's assertion keys");
  }
  ASSIGN_OR_RETURN(SchedulerOptions scheduler_options,
                   SchedulerOptionsFrom(config.scheduler()));
  ASSIGN_OR_RETURN(runs::RunsOptions run_options,
                   runs::RunsOptionsFrom(config.run_limits()));
  std::unique_ptr<SchedulesStack> stack(new SchedulesStack());
  stack->records_ =
      DataChannelScheduleRecords(channels->Channel(config.data_address()));
  stack->runs_ = std::make_unique<RunManagerScheduledRuns>(runs->manager());
  ScheduleParts parts;
  parts.registry = registry;
  parts.authorizer = dependencies.authorizer;
  parts.assertions = dependencies.assertions;
  parts.holder = absl::StrCat(kServiceSubjectPrefix, "run_executor");
  parts.records = stack->records_.get();
  parts.delegations = runs->delegations();
  parts.runs = stack->runs_.get();
  parts.audit = dependencies.audit;
  parts.delegation_check_interval = run_options.delegation_check_interval;
  stack->manager_ = std::make_unique<ScheduleManager>(std::move(parts));
  if (!config.scheduler().disabled()) {
    stack->scheduler_ = std::make_unique<Scheduler>(
        stack->manager_.get(), stack->records_.get(),
        std::move(scheduler_options));
    stack->scheduler_->Start();
  }
  return stack;
}

}  // namespace bastion::schedules
