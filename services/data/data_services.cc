#include "services/data/data_services.h"

#include <string>
#include <utility>

#include "common/status/status_macros.h"

namespace bastion::data {
namespace {

// The guard of proto service `Service` (e.g. v1::Memories).
template <typename Service>
absl::StatusOr<CallGuard> GuardOf(GuardDependencies dependencies) {
  return CallGuard::Create(Service::service_full_name(), dependencies);
}

}  // namespace

DataServices::DataServices(pg::PgPool& pool)
    : sessions_store_(pool),
      memories_store_(pool),
      traces_store_(pool),
      runs_store_(pool),
      approvals_store_(pool),
      schedules_store_(pool),
      audit_store_(pool),
      sessions_domain_(sessions_store_),
      memories_domain_(memories_store_),
      traces_domain_(traces_store_),
      runs_domain_(runs_store_),
      approvals_domain_(approvals_store_),
      schedules_domain_(schedules_store_),
      audit_domain_(audit_store_) {}

absl::StatusOr<std::unique_ptr<DataServices>> DataServices::Create(
    pg::PgPool& pool, GuardDependencies dependencies) {
  std::unique_ptr<DataServices> s(new DataServices(pool));
  ASSIGN_OR_RETURN(CallGuard sessions, GuardOf<v1::Sessions>(dependencies));
  ASSIGN_OR_RETURN(CallGuard memories, GuardOf<v1::Memories>(dependencies));
  ASSIGN_OR_RETURN(CallGuard traces, GuardOf<v1::Traces>(dependencies));
  ASSIGN_OR_RETURN(CallGuard runs, GuardOf<v1::RunRecords>(dependencies));
  ASSIGN_OR_RETURN(CallGuard approvals,
                   GuardOf<v1::ApprovalRecords>(dependencies));
  ASSIGN_OR_RETURN(CallGuard schedules,
                   GuardOf<v1::ScheduleRecords>(dependencies));
  ASSIGN_OR_RETURN(CallGuard audit, GuardOf<v1::AuditLog>(dependencies));
  s->sessions_ = std::make_unique<SessionsService>(&s->sessions_domain_,
                                                   std::move(sessions));
  s->memories_ = std::make_unique<MemoriesService>(&s->memories_domain_,
                                                   std::move(memories));
  s->traces_ =
      std::make_unique<TracesService>(&s->traces_domain_, std::move(traces));
  s->runs_ =
      std::make_unique<RunRecordsService>(&s->runs_domain_, std::move(runs));
  s->approvals_ = std::make_unique<ApprovalRecordsService>(
      &s->approvals_domain_, std::move(approvals));
  s->schedules_ = std::make_unique<ScheduleRecordsService>(
      &s->schedules_domain_, std::move(schedules));
  s->audit_ =
      std::make_unique<AuditLogService>(&s->audit_domain_, std::move(audit));
  return s;
}

std::vector<ServiceBinding> DataServices::Bindings() {
  return {
      {sessions_.get(), v1::Sessions::service_full_name()},
      {memories_.get(), v1::Memories::service_full_name()},
      {traces_.get(), v1::Traces::service_full_name()},
      {runs_.get(), v1::RunRecords::service_full_name()},
      {approvals_.get(), v1::ApprovalRecords::service_full_name()},
      {schedules_.get(), v1::ScheduleRecords::service_full_name()},
      {audit_.get(), v1::AuditLog::service_full_name()},
  };
}

}  // namespace bastion::data
