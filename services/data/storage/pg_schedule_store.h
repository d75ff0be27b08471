// ScheduleStore on PostgreSQL (bastion_data.schedules).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_SCHEDULE_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_SCHEDULE_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/schedule_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgScheduleStore : public ScheduleStore {
 public:
  explicit PgScheduleStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::Schedule> CreateSchedule(
      const pg::PrincipalScope& scope, const v1::CreateScheduleRequest& request,
      const google::protobuf::RepeatedPtrField<std::string>& run_scopes) override;
  absl::StatusOr<v1::Schedule> GetSchedule(
      const pg::PrincipalScope& scope,
      const v1::GetScheduleRequest& request) override;
  absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListSchedulesRequest& request) override;
  absl::StatusOr<v1::Schedule> UpdateSchedule(
      const pg::PrincipalScope& scope,
      const v1::UpdateScheduleRequest& request) override;
  absl::Status DeleteSchedule(
      const pg::PrincipalScope& scope,
      const v1::DeleteScheduleRequest& request) override;
  absl::StatusOr<v1::ClaimDueSchedulesResponse> ClaimDueSchedules(
      const pg::PrincipalScope& scope,
      const v1::ClaimDueSchedulesRequest& request) override;
  absl::StatusOr<v1::Schedule> AdvanceSchedule(
      const pg::PrincipalScope& scope,
      const v1::AdvanceScheduleRequest& request) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_SCHEDULE_STORE_H_
