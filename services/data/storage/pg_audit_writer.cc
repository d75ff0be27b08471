#include "services/data/storage/pg_audit_writer.h"

#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pg/principal_transaction.h"
#include "common/status/status_macros.h"
#include "services/data/storage/store_util.h"

namespace bastion::data::storage {
namespace {

// The database checks the JSON and the bounds again; these checks give a
// precise error instead of a generic one.
constexpr char kInsertAuditEvent[] =
    "INSERT INTO bastion_data.audit_events (tenant_id, user_id, occurred_at, "
    "admin_level, action, resource, resource_id, target_user_id, detail) "
    "VALUES ($1, $2, " BASTION_TS("$3") ", $4, $5, $6, $7, $8, $9::jsonb)";

absl::Status Validate(const v1::AuditEvent& event, int index) {
  auto bad = [index](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("events[", index, "]: ", why));
  };
  if (event.tenant_id().empty() || event.tenant_id().size() > 256) {
    return bad("tenant_id must be 1..256 bytes");
  }
  if (event.user_id().empty() || event.user_id().size() > 256) {
    return bad("user_id must be 1..256 bytes");
  }
  if (event.action().empty() || event.action().size() > 128) {
    return bad("action must be 1..128 bytes");
  }
  if (event.resource().size() > 64) return bad("resource over 64 bytes");
  if (event.resource_id().size() > 256) return bad("resource_id over 256 bytes");
  if (event.target_user_id().size() > 256) {
    return bad("target_user_id over 256 bytes");
  }
  if (event.detail_json().size() > 65536) return bad("detail_json over 64 KiB");
  const std::string& level = event.admin_level();
  if (!level.empty() && level != "none" && level != "tenant" &&
      level != "platform") {
    return bad("admin_level must be none, tenant or platform");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PgAuditWriter::Append(
    const google::protobuf::RepeatedPtrField<v1::AuditEvent>& events,
    absl::Time now) {
  if (events.empty()) return absl::OkStatus();
  if (events.size() > kMaxAuditEventsPerBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxAuditEventsPerBatch, " events per call"));
  }
  const int64_t now_micros = absl::ToUnixMicros(now);
  std::vector<pg::Statement> statements;
  statements.reserve(events.size());
  for (int i = 0; i < events.size(); ++i) {
    const v1::AuditEvent& event = events[i];
    RETURN_IF_ERROR(Validate(event, i));
    int64_t at = event.occurred_at_unix_micros();
    if (at == 0) at = now_micros;
    if (std::llabs(at - now_micros) > absl::ToInt64Microseconds(absl::Minutes(5))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "events[", i, "]: occurred_at more than five minutes from now"));
    }
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
