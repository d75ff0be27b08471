// Storage seam for reading the audit log (replaceable in tests and other
// deployments). Audit rows are written by the other stores, inside the
// transaction of the call they record.
#ifndef BASTION_SERVICES_DATA_STORAGE_AUDIT_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_AUDIT_STORE_H_

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// SQL only, on requests the domain has checked; runs as `scope` and lists
// what `owner` names: a user its own actions, a tenant admin its tenant's,
// a platform admin everything. Implementations are thread-safe.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  virtual absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const pg::PrincipalScope& scope, const OwnerFilter& owner,
      const Page& page, const v1::ListAuditEventsRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_AUDIT_STORE_H_
