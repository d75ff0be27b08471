// Storage seam for run records and their events (replaceable in tests and
// other deployments).
#ifndef BASTION_SERVICES_DATA_STORAGE_RUN_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_RUN_STORE_H_

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// Every call runs as `scope` on checked requests (see SessionStore); a run of
// another user, or of another component than the one named, is NOT_FOUND.
// Implementations are thread-safe.
class RunStore {
 public:
  virtual ~RunStore() = default;

  virtual absl::StatusOr<v1::RunRecord> CreateRun(
      const pg::PrincipalScope& scope,
      const v1::CreateRunRequest& request) = 0;
  virtual absl::StatusOr<v1::GetRunResponse> GetRun(
      const pg::PrincipalScope& scope,
      const v1::GetRunRequest& request) = 0;
  virtual absl::StatusOr<v1::ListRunsResponse> ListRuns(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListRunsRequest& request) = 0;
  // FAILED_PRECONDITION when expected_status is set and differs.
  virtual absl::StatusOr<v1::RunRecord> UpdateRun(
      const pg::PrincipalScope& scope,
      const v1::UpdateRunRequest& request) = 0;
  // Events get the run's next sequence numbers, atomically.
  virtual absl::StatusOr<v1::AppendRunEventsResponse> AppendRunEvents(
      const pg::PrincipalScope& scope,
      const v1::AppendRunEventsRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_RUN_STORE_H_
