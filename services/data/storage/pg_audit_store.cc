#include "services/data/storage/pg_audit_store.h"

#include <string>
#include <utility>
#include <vector>

#include "common/pg/principal_transaction.h"
#include "common/status/status_macros.h"
#include "services/data/storage/admin_audit.h"
#include "services/data/storage/owner_filter.h"
#include "services/data/storage/paging.h"
#include "services/data/storage/sql_values.h"

namespace bastion::data::storage {
namespace {

using ::bastion::common::v1::Principal;
using ::bastion::pg::PgResult;

// $1 tenant (NULL: any), $2 user (NULL: any), $3 action (NULL: any),
// $4 cursor micros, $5 cursor id, $6 limit.
// `owner` is BASTION_ONE_OWNER (tenant and user set: plain equalities, so
// one generic plan uses the owner index) or BASTION_ANY_OWNER.
#define LIST_AUDIT(owner)                                                     \
  "SELECT event_id::text AS event_id, tenant_id, user_id, admin_level,"       \
  " action, resource, resource_id, target_user_id, detail::text AS detail, "  \
  BASTION_MICROS("occurred_at") " AS occurred_us"                             \
  " FROM bastion_data.audit_events"                                           \
  owner                                                                       \
  " AND ($3::text IS NULL OR action = $3)"                                    \
  " AND ($4::bigint IS NULL OR (occurred_at, event_id::text) < ("             \
  BASTION_TS("$4") ", $5::text))"                                             \
  " ORDER BY occurred_at DESC, event_id::text DESC LIMIT $6::int"
// [one owner]
constexpr const char* kList[2] = {LIST_AUDIT(BASTION_ANY_OWNER),
                                  LIST_AUDIT(BASTION_ONE_OWNER)};

v1::AuditEvent ToAuditEvent(const PgResult& r, int row) {
  v1::AuditEvent e;
  e.set_event_id(std::string(r.Get(row, "event_id")));
  e.set_tenant_id(std::string(r.Get(row, "tenant_id")));
  e.set_user_id(std::string(r.Get(row, "user_id")));
  e.set_admin_level(std::string(r.Get(row, "admin_level")));
  e.set_action(std::string(r.Get(row, "action")));
  e.set_resource(std::string(r.Get(row, "resource")));
  e.set_resource_id(std::string(r.Get(row, "resource_id")));
  e.set_target_user_id(std::string(r.Get(row, "target_user_id")));
  e.set_detail_json(std::string(r.Get(row, "detail")));
  e.set_occurred_at_unix_micros(ToInt64(r.Get(row, "occurred_us")));
  return e;
}

}  // namespace

absl::StatusOr<v1::ListAuditEventsResponse> PgAuditStore::ListAuditEvents(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListAuditEventsRequest& request) {
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "audit.list", "audit", "",
                            owner.user_id.value_or("")),
                 {kList[OneOwner(owner)],
                  PageParams(page, {owner.tenant_id, owner.user_id,
                                    OptionalParam(request.action())})}));
  v1::ListAuditEventsResponse response;
  RETURN_IF_ERROR(FillPage(rows, page, {"occurred_us", "event_id"},
                           ToAuditEvent, response.mutable_events(),
                           response.mutable_page()));
  return response;
}

}  // namespace bastion::data::storage
