// ScheduleStore on PostgreSQL (bastion_data.schedules).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_SCHEDULE_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_SCHEDULE_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/principal_scope.h"
#include "services/data/storage/schedule_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgScheduleStore : public ScheduleStore {
 public:
  explicit PgScheduleStore(pg::PgPool& pool,
                           AdminScopes admin_scopes = AdminScopes())
      : pool_(pool), admin_scopes_(std::move(admin_scopes)) {}

  absl::StatusOr<v1::Schedule> CreateSchedule(
      const Actor& actor,
      const v1::CreateScheduleRequest& request) override;
  absl::StatusOr<v1::Schedule> GetSchedule(
      const Actor& actor,
      const v1::GetScheduleRequest& request) override;
  absl::StatusOr<v1::ListSchedulesResponse> ListSchedules(
      const Actor& actor,
      const v1::ListSchedulesRequest& request) override;
  absl::StatusOr<v1::Schedule> UpdateSchedule(
      const Actor& actor,
      const v1::UpdateScheduleRequest& request) override;
  absl::Status DeleteSchedule(
      const Actor& actor,
      const v1::DeleteScheduleRequest& request) override;
  absl::StatusOr<v1::ClaimDueSchedulesResponse> ClaimDueSchedules(
      const Actor& actor,
      const v1::ClaimDueSchedulesRequest& request) override;

 private:
  pg::PgPool& pool_;
  const AdminScopes admin_scopes_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_SCHEDULE_STORE_H_
