// Appends audit events other services send (denials, role changes) to
// bastion_data.audit_events: append-only, one transaction per batch.
#ifndef BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_WRITER_H_
#define BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_WRITER_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bastion/data/v1/data.pb.h"
#include "common/pg/pg_pool.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace bastion::data::storage {

// Thread-safe; `pool` must outlive it.
class PgAuditWriter {
 public:
  explicit PgAuditWriter(pg::PgPool& pool) : pool_(pool) {}

  // All or nothing, events the audit domain (domain/audit.h) has checked;
  // an occurred_at of 0 means `now`.
  absl::Status Append(
      const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events,
      absl::Time now);

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_WRITER_H_
