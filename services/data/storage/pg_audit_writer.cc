#include "services/data/storage/pg_audit_writer.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pg/principal_transaction.h"
#include "services/data/storage/sql_values.h"

namespace bastion::data::storage {
namespace {

// The database checks the JSON and the bounds (again: the audit domain
// checks them first, for a precise error).
constexpr char kInsertAuditEvent[] =
    "INSERT INTO bastion_data.audit_events (tenant_id, user_id, occurred_at, "
    "admin_level, action, resource, resource_id, target_user_id, detail) "
    "VALUES ($1, $2, " BASTION_TS("$3") ", $4, $5, $6, $7, $8, $9::jsonb)";

}  // namespace

absl::Status PgAuditWriter::Append(
    const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events,
    absl::Time now) {
  if (events.empty()) return absl::OkStatus();
  const int64_t now_micros = absl::ToUnixMicros(now);
  std::vector<pg::Statement> statements;
  statements.reserve(events.size());
  for (int i = 0; i < events.size(); ++i) {
    const v1::AuditEvent& event = events[i];
    int64_t at = event.occurred_at_unix_micros();
    if (at == 0) at = now_micros;
    statements.push_back(pg::Statement{
        kInsertAuditEvent,
        {event.tenant_id(), event.user_id(), absl::StrCat(at),
         event.admin_level().empty() ? "none" : event.admin_level(),
         event.action(), event.resource(), event.resource_id(),
         event.target_user_id(),
         event.detail_json().empty() ? "{}" : event.detail_json()}});
  }
  // Events name the tenants and users they are about, so the batch is
  // written with platform reach (the service, not a user, is the writer).
  const pg::PrincipalScope writer{"bastion", "service:data",
                                  pg::AdminLevel::kPlatform};
  return pg::RunAsPrincipal(pool_, writer, std::move(statements)).status();
}

}  // namespace bastion::data::storage
