#include "services/run_executor/schedules/scheduler.h"

#include <unistd.h>

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion::schedules {

std::string NewClaimerId() {
  char host[64] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  absl::BitGen random;
  return absl::StrFormat("%.40s-%d-%08x", host, static_cast<int>(getpid()),
                         absl::Uniform<uint32_t>(random));
}

Scheduler::Scheduler(ScheduleManager* manager, ScheduleRecords* records,
                     SchedulerOptions options)
    : manager_(manager), records_(records), options_(std::move(options)) {}

Scheduler::~Scheduler() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
        return stopping_;
      };
      if (mutex_.AwaitWithTimeout(absl::Condition(&stopping),
                                  options_.poll_interval)) {
        return;
      }
    }
    absl::StatusOr<int> handled = RunOnce();
    if (!handled.ok()) {
      Log(LogLevel::kWarning, "schedules_not_claimed",
          {{"code", absl::StatusCodeToString(handled.status().code())},
           {"error", std::string(handled.status().message())}});
    }
  }
}

absl::StatusOr<int> Scheduler::RunOnce() {
  data::v1::ClaimDueSchedulesRequest claim;
  claim.set_claimer_id(options_.claimer_id);
  claim.set_limit(options_.batch);
  claim.set_lease_seconds(
      static_cast<int32_t>(absl::ToInt64Seconds(options_.claim_lease)));
  ASSIGN_OR_RETURN(data::v1::ClaimDueSchedulesResponse claimed,
                   records_->Claim(claim));
  int handled = 0;
  for (const data::v1::Schedule& schedule : claimed.schedules()) {
    const Firing firing = manager_->Fire(schedule);
    if (firing.status.code() == absl::StatusCode::kUnavailable &&
        firing.run_id.empty() && !firing.stop) {
      // Kept claimed: any replica retries once the lease ends.
      Log(LogLevel::kWarning, "schedule_firing_deferred",
          {{"schedule_id", schedule.schedule_id()},
           {"tenant_id", schedule.tenant_id()},
           {"error", std::string(firing.status.message())}});
      continue;
    }
    ++handled;
    absl::StatusOr<int64_t> next =
        manager_->NextRunMicros(schedule.cron(), schedule.timezone());
    data::v1::AdvanceScheduleRequest advance;
    advance.set_tenant_id(schedule.tenant_id());
    advance.set_schedule_id(schedule.schedule_id());
    advance.set_claimer_id(options_.claimer_id);
    advance.set_next_run_at_unix_micros(next.ok() ? *next : 0);
    advance.set_disable(firing.stop || !next.ok());
    absl::Status advanced = records_->Advance(advance).status();
    Log(firing.status.ok() ? LogLevel::kInfo : LogLevel::kWarning,
        "schedule_fired",
        {{"schedule_id", schedule.schedule_id()},
         {"tenant_id", schedule.tenant_id()},
         {"run_id", firing.run_id},
         {"code", absl::StatusCodeToString(firing.status.code())},
         {"error", std::string(firing.status.message())},
         {"disabled", advance.disable() ? "true" : "false"},
         {"advanced", absl::StatusCodeToString(advanced.code())}});
  }
  return handled;
}

}  // namespace bastion::schedules
