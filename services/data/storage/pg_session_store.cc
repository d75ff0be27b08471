#include "services/data/storage/pg_session_store.h"

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

using ::bastion::pg::PgResult;
using ::bastion::pg::RunAsPrincipal;

#define SESSION_COLUMNS                                                     \
  "session_id, component_type, component_id, name, state::text AS state,"   \
  " tenant_id, user_id, " BASTION_MICROS("created_at") " AS created_us, "   \
  BASTION_MICROS("updated_at") " AS updated_us"

// $1 tenant, $2 user, $3 id (NULL: generate), $4 type, $5 component,
// $6 name, $7 state.
constexpr char kInsert[] =
    "INSERT INTO bastion_data.sessions (tenant_id, user_id, session_id,"
    " component_type, component_id, name, state)"
    " VALUES ($1, $2, coalesce($3, gen_random_uuid()::text), $4, $5, $6,"
    " coalesce($7::jsonb, '{}'::jsonb))"
    " RETURNING " SESSION_COLUMNS;

// $1 tenant, $2 user (NULL: any user of the tenant), $3 id.
#define SELECT_BY_ID(owner)     \
  "SELECT " SESSION_COLUMNS     \
  " FROM bastion_data.sessions" \
  " WHERE" owner " AND session_id = $3"

// $1 tenant, $2 user, $3 type, $4 component, $5 cursor micros, $6 cursor
// id, $7 limit; `owner` is BASTION_ONE_OWNER or BASTION_ANY_OWNER.
#define LIST_SESSIONS(owner, col, cmp, dir)                                 \
  "SELECT " SESSION_COLUMNS " FROM bastion_data.sessions" owner             \
  " AND ($3::text IS NULL OR component_type = $3)"                          \
  " AND ($4::text IS NULL OR component_id = $4)"                            \
  " AND ($5::bigint IS NULL OR (" col ", session_id) " cmp " (" BASTION_TS( \
      "$5") ", $6::text))"                                                  \
  " ORDER BY " col " " dir ", session_id " dir " LIMIT $7::int"
// [one owner][by updated][ascending]
constexpr const char* kList[2][2][2] = {
    {{LIST_SESSIONS(BASTION_ANY_OWNER, "created_at", "<", "DESC"),
      LIST_SESSIONS(BASTION_ANY_OWNER, "created_at", ">", "ASC")},
     {LIST_SESSIONS(BASTION_ANY_OWNER, "updated_at", "<", "DESC"),
      LIST_SESSIONS(BASTION_ANY_OWNER, "updated_at", ">", "ASC")}},
    {{LIST_SESSIONS(BASTION_ONE_OWNER, "created_at", "<", "DESC"),
      LIST_SESSIONS(BASTION_ONE_OWNER, "created_at", ">", "ASC")},
     {LIST_SESSIONS(BASTION_ONE_OWNER, "updated_at", "<", "DESC"),
      LIST_SESSIONS(BASTION_ONE_OWNER, "updated_at", ">", "ASC")}}};

// $1 tenant, $2 user (NULL: any), $3 id, $4 set name?, $5 name,
// $6 set state?, $7 state.
#define UPDATE_BY_ID(owner)                                              \
  "UPDATE bastion_data.sessions SET"                                     \
  " name = CASE WHEN $4::boolean THEN $5 ELSE name END,"                 \
  " state = CASE WHEN $6::boolean THEN $7::jsonb ELSE state END,"        \
  " updated_at = greatest(now(), updated_at + interval '1 microsecond')" \
  " WHERE" owner                                                         \
  " AND session_id = $3"                                                 \
  " RETURNING " SESSION_COLUMNS

#define DELETE_BY_ID(owner)           \
  "DELETE FROM bastion_data.sessions" \
  " WHERE" owner " AND session_id = $3"

// $3: JSON array of ids.
#define DELETE_MANY_BY_ID(owner)      \
  "DELETE FROM bastion_data.sessions" \
  " WHERE" owner                      \
  " AND session_id IN (SELECT jsonb_array_elements_text($3::jsonb))"

// By-id statements, [one owner] (BASTION_BY_ID).
constexpr const char* kSelect[2] = BASTION_BY_ID(SELECT_BY_ID);
constexpr const char* kUpdate[2] = BASTION_BY_ID(UPDATE_BY_ID);
constexpr const char* kDelete[2] = BASTION_BY_ID(DELETE_BY_ID);
constexpr const char* kDeleteMany[2] = BASTION_BY_ID(DELETE_MANY_BY_ID);

v1::Session ToSession(const PgResult& r, int row) {
  v1::Session s;
  s.set_session_id(std::string(r.Get(row, "session_id")));
  s.set_component_type(ComponentTypeFromText(r.Get(row, "component_type")));
  s.set_component_id(std::string(r.Get(row, "component_id")));
  s.set_name(std::string(r.Get(row, "name")));
  s.set_state_json(std::string(r.Get(row, "state")));
  s.set_tenant_id(std::string(r.Get(row, "tenant_id")));
  s.set_user_id(std::string(r.Get(row, "user_id")));
  s.set_created_at_unix_micros(ToInt64(r.Get(row, "created_us")));
  s.set_updated_at_unix_micros(ToInt64(r.Get(row, "updated_us")));
  return s;
}

absl::Status NotFound() { return absl::NotFoundError("session not found"); }

}  // namespace

absl::StatusOr<v1::Session> PgSessionStore::CreateSession(
    const pg::PrincipalScope& scope, const v1::CreateSessionRequest& request) {
  // The owner is the principal, whatever the request says.
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kInsert,
                       {scope.tenant_id, scope.user_id,
                        OptionalParam(request.session_id()),
                        ComponentTypeParam(request.component_type()),
                        request.component_id(), request.name(),
                        OptionalParam(request.state_json())}}}));
  return ToSession(results[0], 0);
}

absl::StatusOr<v1::Session> PgSessionStore::GetSession(
    const pg::PrincipalScope& scope, const v1::GetSessionRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kSessions,
                           "sessions.get", request.session_id(), kSelect));
  if (result.rows() != 1) return NotFound();
  return ToSession(result, 0);
}

v1::Session PgSessionStore::SessionOf(const PgResult& rows, int row) {
  return ToSession(rows, row);
}

const char* PgSessionStore::ListSql(bool one_owner, bool by_updated,
                                    bool ascending) {
  return kList[one_owner][by_updated][ascending];
}

absl::StatusOr<v1::ListSessionsResponse> PgSessionStore::ListSessions(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListSessionsRequest& request) {
  const bool by_updated = request.sort_field() == v1::SORT_FIELD_UPDATED_AT;
  const bool asc = request.sort_order() == v1::SORT_ORDER_ASC;
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "sessions.list", "sessions", "",
                            owner.user_id.value_or("")),
                 {ListSql(OneOwner(owner), by_updated, asc),
                  PageParams(page, {owner.tenant_id, owner.user_id,
                                    ComponentTypeParam(request.component_type()),
                                    OptionalParam(request.component_id())})}));
  v1::ListSessionsResponse response;
  RETURN_IF_ERROR(FillPage(
      rows, page, {by_updated ? "updated_us" : "created_us", "session_id"},
      ToSession, response.mutable_sessions(), response.mutable_page()));
  return response;
}

absl::StatusOr<v1::Session> PgSessionStore::UpdateSession(
    const pg::PrincipalScope& scope, const v1::UpdateSessionRequest& request) {
  ASSIGN_OR_RETURN(
      PgResult result,
      RunById(pool_, scope, AuditedTable::kSessions, "sessions.update",
              request.session_id(), kUpdate,
              {request.update_name() ? "true" : "false", request.name(),
               request.update_state() ? "true" : "false",
               request.update_state() ? pg::Param(request.state_json())
                                      : std::nullopt}));
  if (result.rows() != 1) return NotFound();
  return ToSession(result, 0);
}

absl::Status PgSessionStore::DeleteSession(
    const pg::PrincipalScope& scope, const v1::DeleteSessionRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kSessions,
                           "sessions.delete", request.session_id(), kDelete));
  if (result.affected_rows() != 1) return NotFound();
  return absl::OkStatus();
}

absl::StatusOr<v1::DeleteSessionsResponse> PgSessionStore::DeleteSessions(
    const pg::PrincipalScope& scope, const v1::DeleteSessionsRequest& request) {
  v1::DeleteSessionsResponse response;
  if (request.session_ids().empty()) return response;
  OwnerFilter owner = ByIdFilter(scope);
  // An admin's bulk delete is recorded per session, with its owner, by one
  // statement.
  ASSIGN_OR_RETURN(
      PgResult deleted,
      RunAudited(pool_, scope,
                 AdminAuditByIds(scope, AuditedTable::kSessions,
                                 "sessions.delete_many", request.session_ids()),
                 {kDeleteMany[OneOwner(owner)],
                  {owner.tenant_id, owner.user_id,
                   JsonStringArray(request.session_ids())}}));
  response.set_deleted_count(deleted.affected_rows());
  return response;
}

}  // namespace bastion::data::storage
