#include "services/data/storage/pg_audit_store.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/pg/principal_transaction.h"
#include "common/status/status_macros.h"
#include "services/data/storage/store_util.h"

namespace bastion::data::storage {
namespace {

using ::bastion::common::v1::Principal;
using ::bastion::pg::PgResult;
using ::bastion::pg::RunAsPrincipal;

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

}  // namespace

absl::StatusOr<v1::ListAuditEventsResponse> PgAuditStore::ListAuditEvents(
    const Actor& actor, const v1::ListAuditEventsRequest& request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeFor(actor, admin_scopes_));
  ASSIGN_OR_RETURN(int limit, PageSize(request.page()));
  if (request.action().size() > 128) {
    return absl::InvalidArgumentError("action is longer than 128");
  }
  constexpr char kOrdering[] = "audit.occurred.desc";
  ASSIGN_OR_RETURN(std::optional<Cursor> cursor,
                   DecodeCursor(kOrdering, request.page().cursor()));
  OwnerFilter owner = ListFilter(scope, request.user_id());
  std::vector<pg::Statement> batch =
      AdminAudit(scope, "audit.list", "audit", "", owner.user_id.value_or(""));
  const size_t at = batch.size();
  batch.push_back({kList[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id,
                    OptionalParam(request.action()),
                    cursor ? pg::Param(std::to_string(cursor->micros))
                           : std::nullopt,
                    cursor ? pg::Param(cursor->id) : std::nullopt,
                    std::to_string(limit + 1)}});
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  const PgResult& rows = results[at];
  v1::ListAuditEventsResponse response;
  const int n = std::min(rows.rows(), limit);
  for (int i = 0; i < n; ++i) {
    v1::AuditEvent* e = response.add_events();
    e->set_event_id(std::string(rows.Get(i, "event_id")));
    e->set_tenant_id(std::string(rows.Get(i, "tenant_id")));
    e->set_user_id(std::string(rows.Get(i, "user_id")));
    e->set_admin_level(std::string(rows.Get(i, "admin_level")));
    e->set_action(std::string(rows.Get(i, "action")));
    e->set_resource(std::string(rows.Get(i, "resource")));
    e->set_resource_id(std::string(rows.Get(i, "resource_id")));
    e->set_target_user_id(std::string(rows.Get(i, "target_user_id")));
    e->set_detail_json(std::string(rows.Get(i, "detail")));
    e->set_occurred_at_unix_micros(ToInt64(rows.Get(i, "occurred_us")));
  }
  if (rows.rows() > limit) {
    const v1::AuditEvent& last = response.events(n - 1);
    response.mutable_page()->set_next_cursor(EncodeCursor(
        kOrdering, {last.occurred_at_unix_micros(), last.event_id()}));
  }
  return response;
}

}  // namespace bastion::data::storage
