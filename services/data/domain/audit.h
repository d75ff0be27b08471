// The audit domain: an admin's reading of its audit log, and the events
// trusted services append to it, checked before the stores see them.
#ifndef BASTION_SERVICES_DATA_DOMAIN_AUDIT_H_
#define BASTION_SERVICES_DATA_DOMAIN_AUDIT_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "common/pg/pg_pool.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "services/data/storage/audit_store.h"
#include "services/data/storage/pg_audit_writer.h"

namespace bastion::data::domain {

inline constexpr int kMaxAuditEventsPerBatch = 500;

// Lists act as the caller, like Sessions (sessions.h): a user sees the
// events about itself, an admin its tenant's (or, for a platform admin,
// every tenant's). Thread-safe; `store` must outlive it.
class AuditLog {
 public:
  explicit AuditLog(storage::AuditStore &store) : store_(store) {}

  absl::StatusOr<v1::ListAuditEventsResponse> ListAuditEvents(
      const Caller &caller, const v1::ListAuditEventsRequest &request);

 private:
  storage::AuditStore &store_;
};

// Appends the events a trusted service sends (its denials, authz's role
// changes) and data's own guard records. Thread-safe; `pool` must outlive
// it.
class AuditWriter {
 public:
  explicit AuditWriter(pg::PgPool &pool) : writer_(pool) {}

  // All or nothing. INVALID_ARGUMENT (naming the event index) for more than
  // kMaxAuditEventsPerBatch events, an empty tenant/user/action, fields over
  // the table's bounds, an unknown admin level, or a time more than five
  // minutes from `now` (0 means now). Takes the request's field itself, so
  // an oversized batch is refused before anything is copied.
  absl::Status Append(
      const google::protobuf::RepeatedPtrField<v1::AuditEvent> &events,
      absl::Time now);

 private:
  storage::PgAuditWriter writer_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_AUDIT_H_
