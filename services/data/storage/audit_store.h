// Storage seam for reading the audit log (replaceable in tests and other
// deployments). Audit rows are written by the other stores, inside the
// transaction of the call they record.
#ifndef BASTION_SERVICES_DATA_STORAGE_AUDIT_STORE_H_
#define BASTION_SERVICES_DATA_STORAGE_AUDIT_STORE_H_

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "services/data/storage/actor.h"
#include "bastion/data/v1/data.pb.h"

namespace bastion::data::storage {

// A principal sees its own actions; a tenant admin its tenant's; a
// platform admin everything. Implementations are thread-safe.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  virtual absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const Actor& actor,
      const v1::ListAuditEventsRequest& request) = 0;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_AUDIT_STORE_H_
