// Storage seam for traces (replaceable in tests and other deployments).
// Append-only: there is no update or delete.
#ifndef BASTION_SERVICES_DATA_STORAGE_TRACE_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_TRACE_STORE_H_

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// Every call runs as `scope` on checked requests (see SessionStore). A trace
// belongs to the user whose span started it. Implementations are
// thread-safe.
class TraceStore {
 public:
  virtual ~TraceStore() = default;

  // Appends all spans or none (one transaction).
  virtual absl::StatusOr<v1::AppendSpansResponse> AppendSpans(
      const pg::PrincipalScope& scope,
      const v1::AppendSpansRequest& request) = 0;
  // The trace's spans in chain order plus the chain's verification.
  virtual absl::StatusOr<v1::GetTraceResponse> GetTrace(
      const pg::PrincipalScope& scope,
      const v1::GetTraceRequest& request) = 0;
  virtual absl::StatusOr<v1::ListTracesResponse> ListTraces(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListTracesRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_TRACE_STORE_H_
