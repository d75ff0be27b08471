// TraceStore on PostgreSQL (bastion_data.spans, hash-chained by trigger).
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_TRACE_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_TRACE_STORE_H_

#include "common/pg/pg_pool.h"
#include "services/data/storage/trace_store.h"

namespace bastion::data::storage {

// Thread-safe; `pool` (connected as bastion_data_svc) must outlive it.
class PgTraceStore : public TraceStore {
 public:
  explicit PgTraceStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::AppendSpansResponse> AppendSpans(
      const pg::PrincipalScope& scope,
      const v1::AppendSpansRequest& request) override;
  absl::StatusOr<v1::GetTraceResponse> GetTrace(
      const pg::PrincipalScope& scope,
      const v1::GetTraceRequest& request) override;
  absl::StatusOr<v1::ListTracesResponse> ListTraces(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListTracesRequest& request) override;

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_TRACE_STORE_H_
