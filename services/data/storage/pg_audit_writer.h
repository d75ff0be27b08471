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

inline constexpr int kMaxAuditEventsPerBatch = 500;

// Thread-safe; `pool` must outlive it.
class PgAuditWriter {
 public:
  explicit PgAuditWriter(pg::PgPool& pool) : pool_(pool) {}

  // All or nothing. INVALID_ARGUMENT (naming the event index) for more than
  // kMaxAuditEventsPerBatch events, an empty tenant/user/action, fields over
  // the table's bounds, detail that is not a JSON object, or a time more
  // than five minutes from `now` (0 means now). Takes the request's field
  // itself, so an oversized batch is refused before anything is copied.
  absl::Status Append(
      const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events,
      absl::Time now);

 private:
  pg::PgPool& pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PG_AUDIT_WRITER_H_
