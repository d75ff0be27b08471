#include "services/data/domain/audit.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

absl::Status CheckEvent(const v1::AuditEvent &event, int index,
                        int64_t now_micros) {
  auto bad = [index](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("events[", index, "]: ", why));
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
  if (event.resource_id().size() > 256)
    return bad("resource_id over 256 bytes");
  if (event.target_user_id().size() > 256) {
    return bad("target_user_id over 256 bytes");
  }
  if (event.detail_json().size() > 65536) return bad("detail_json over 64 KiB");
  const std::string &level = event.admin_level();
  if (!level.empty() && level != "none" && level != "tenant" &&
      level != "platform") {
    return bad("admin_level must be none, tenant or platform");
  }
  const int64_t at = event.occurred_at_unix_micros();
  if (at != 0 && std::llabs(at - now_micros) >
                     absl::ToInt64Microseconds(absl::Minutes(5))) {
    return bad("occurred_at more than five minutes from now");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::ListAuditEventsResponse> AuditLog::ListAuditEvents(
    const Caller &caller, const v1::ListAuditEventsRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  if (request.action().size() > 128) {
    return absl::InvalidArgumentError("action is longer than 128");
  }
  ASSIGN_OR_RETURN(storage::Page page,
                   PageOf("audit.occurred.desc", request.page()));
  return store_.ListAuditEvents(
      scope, storage::ListFilter(scope, request.user_id()), page, request);
}

absl::Status AuditWriter::Append(
    const google::protobuf::RepeatedPtrField<v1::AuditEvent> &events,
    absl::Time now) {
  if (events.size() > kMaxAuditEventsPerBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxAuditEventsPerBatch, " events per call"));
  }
  const int64_t now_micros = absl::ToUnixMicros(now);
  for (int i = 0; i < events.size(); ++i) {
    RETURN_IF_ERROR(CheckEvent(events[i], i, now_micros));
  }
  return writer_.Append(events, now);
}

}  // namespace bastion::data::domain
