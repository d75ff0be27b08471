// RunStore on PostgreSQL (bastion_data.runs, bastion_data.run_events).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_RUN_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_RUN_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/run_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgRunStore : public RunStore {
 public:
  explicit PgRunStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::RunRecord> CreateRun(
      const pg::PrincipalScope& scope,
      const v1::CreateRunRequest& request) override;
  absl::StatusOr<v1::GetRunResponse> GetRun(
      const pg::PrincipalScope& scope,
      const v1::GetRunRequest& request) override;
  absl::StatusOr<v1::ListRunsResponse> ListRuns(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListRunsRequest& request) override;
  absl::StatusOr<v1::RunRecord> UpdateRun(
      const pg::PrincipalScope& scope,
      const v1::UpdateRunRequest& request) override;
  absl::StatusOr<v1::AppendRunEventsResponse> AppendRunEvents(
      const pg::PrincipalScope& scope,
      const v1::AppendRunEventsRequest& request) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_RUN_STORE_H_
