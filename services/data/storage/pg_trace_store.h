// TraceStore on PostgreSQL (bastion_data.spans, hash-chained by trigger).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_TRACE_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_TRACE_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/principal_scope.h"
#include "services/data/storage/trace_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgTraceStore : public TraceStore {
 public:
  explicit PgTraceStore(pg::PgPool& pool,
                        AdminScopes admin_scopes = AdminScopes())
      : pool_(pool), admin_scopes_(std::move(admin_scopes)) {}

  absl::StatusOr<v1::AppendSpansResponse> AppendSpans(
      const Actor& actor,
      const v1::AppendSpansRequest& request) override;
  absl::StatusOr<v1::GetTraceResponse> GetTrace(
      const Actor& actor,
      const v1::GetTraceRequest& request) override;
  absl::StatusOr<v1::ListTracesResponse> ListTraces(
      const Actor& actor,
      const v1::ListTracesRequest& request) override;

 private:
  pg::PgPool& pool_;
  const AdminScopes admin_scopes_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_TRACE_STORE_H_
