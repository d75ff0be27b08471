#include "services/data/storage/pg_memory_store.h"

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

#define MEMORY_COLUMNS                                                   \
  "memory_id, text, to_jsonb(topics)::text AS topics, tenant_id,"        \
  " user_id, " BASTION_MICROS("created_at") " AS created_us, "           \
  BASTION_MICROS("updated_at") " AS updated_us"

// $1 tenant, $2 user, $3 id (NULL: generate), $4 text, $5 topics (JSON).
constexpr char kInsert[] =
    "INSERT INTO bastion_data.memories (tenant_id, user_id, memory_id, text,"
    " topics)"
    " VALUES ($1, $2, coalesce($3, gen_random_uuid()::text), $4,"
    " ARRAY(SELECT jsonb_array_elements_text($5::jsonb)))"
    " RETURNING " MEMORY_COLUMNS;

#define SELECT_BY_ID(owner)     \
  "SELECT " MEMORY_COLUMNS      \
  " FROM bastion_data.memories" \
  " WHERE" owner " AND memory_id = $3"

// $1 tenant, $2 user, $3 topic, $4 text query, $5 cursor micros, $6 cursor
// id, $7 limit; `owner` is BASTION_ONE_OWNER or BASTION_ANY_OWNER.
#define LIST_MEMORIES(owner, cmp, dir)                                     \
  "SELECT " MEMORY_COLUMNS " FROM bastion_data.memories" owner             \
  " AND ($3::text IS NULL OR topics @> ARRAY[$3::text])"                   \
  " AND ($4::text IS NULL OR strpos(lower(text), lower($4)) > 0)"          \
  " AND ($5::bigint IS NULL OR (created_at, memory_id) " cmp               \
  " (" BASTION_TS("$5") ", $6::text))"                                     \
  " ORDER BY created_at " dir ", memory_id " dir " LIMIT $7::int"
// [one owner][ascending]
constexpr const char* kList[2][2] = {
    {LIST_MEMORIES(BASTION_ANY_OWNER, "<", "DESC"),
     LIST_MEMORIES(BASTION_ANY_OWNER, ">", "ASC")},
    {LIST_MEMORIES(BASTION_ONE_OWNER, "<", "DESC"),
     LIST_MEMORIES(BASTION_ONE_OWNER, ">", "ASC")}};

// $1 tenant, $2 user (NULL: any), $3 id, $4 set text?, $5 text,
// $6 set topics?, $7 topics (JSON).
#define UPDATE_BY_ID(owner)                                                   \
  "UPDATE bastion_data.memories SET"                                          \
  " text = CASE WHEN $4::boolean THEN $5 ELSE text END,"                      \
  " topics = CASE WHEN $6::boolean"                                           \
  " THEN ARRAY(SELECT jsonb_array_elements_text($7::jsonb)) ELSE topics END," \
  " updated_at = greatest(now(), updated_at + interval '1 microsecond')"      \
  " WHERE" owner                                                              \
  " AND memory_id = $3"                                                       \
  " RETURNING " MEMORY_COLUMNS

#define DELETE_BY_ID(owner)           \
  "DELETE FROM bastion_data.memories" \
  " WHERE" owner " AND memory_id = $3"

// By-id statements, [one owner] (BASTION_BY_ID).
constexpr const char* kSelect[2] = BASTION_BY_ID(SELECT_BY_ID);
constexpr const char* kUpdate[2] = BASTION_BY_ID(UPDATE_BY_ID);
constexpr const char* kDelete[2] = BASTION_BY_ID(DELETE_BY_ID);

absl::StatusOr<v1::Memory> ToMemory(const PgResult& r, int row) {
  v1::Memory m;
  m.set_memory_id(std::string(r.Get(row, "memory_id")));
  m.set_text(std::string(r.Get(row, "text")));
  ASSIGN_OR_RETURN(std::vector<std::string> topics,
                   ParseJsonStringArray(r.Get(row, "topics")));
  for (std::string& t : topics) m.add_topics(std::move(t));
  m.set_tenant_id(std::string(r.Get(row, "tenant_id")));
  m.set_user_id(std::string(r.Get(row, "user_id")));
  m.set_created_at_unix_micros(ToInt64(r.Get(row, "created_us")));
  m.set_updated_at_unix_micros(ToInt64(r.Get(row, "updated_us")));
  return m;
}

absl::Status NotFound() { return absl::NotFoundError("memory not found"); }

}  // namespace

absl::StatusOr<v1::Memory> PgMemoryStore::CreateMemory(
    const pg::PrincipalScope& scope, const v1::CreateMemoryRequest& request) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kInsert,
                       {scope.tenant_id, scope.user_id,
                        OptionalParam(request.memory_id()), request.text(),
                        JsonStringArray(request.topics())}}}));
  return ToMemory(results[0], 0);
}

absl::StatusOr<v1::Memory> PgMemoryStore::GetMemory(
    const pg::PrincipalScope& scope, const v1::GetMemoryRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kMemories,
                           "memories.get", request.memory_id(), kSelect));
  if (result.rows() != 1) return NotFound();
  return ToMemory(result, 0);
}

absl::StatusOr<v1::ListMemoriesResponse> PgMemoryStore::ListMemories(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListMemoriesRequest& request) {
  const bool asc = request.sort_order() == v1::SORT_ORDER_ASC;
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "memories.list", "memories", "",
                            owner.user_id.value_or("")),
                 {kList[OneOwner(owner)][asc],
                  PageParams(page, {owner.tenant_id, owner.user_id,
                                    OptionalParam(request.topic()),
                                    OptionalParam(request.text_query())})}));
  v1::ListMemoriesResponse response;
  RETURN_IF_ERROR(FillPage(rows, page, {"created_us", "memory_id"}, ToMemory,
                           response.mutable_memories(),
                           response.mutable_page()));
  return response;
}

absl::StatusOr<v1::Memory> PgMemoryStore::UpdateMemory(
    const pg::PrincipalScope& scope, const v1::UpdateMemoryRequest& request) {
  ASSIGN_OR_RETURN(
      PgResult result,
      RunById(pool_, scope, AuditedTable::kMemories, "memories.update",
              request.memory_id(), kUpdate,
              {request.update_text() ? "true" : "false", request.text(),
               request.update_topics() ? "true" : "false",
               JsonStringArray(request.topics())}));
  if (result.rows() != 1) return NotFound();
  return ToMemory(result, 0);
}

absl::Status PgMemoryStore::DeleteMemory(
    const pg::PrincipalScope& scope, const v1::DeleteMemoryRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kMemories,
                           "memories.delete", request.memory_id(), kDelete));
  if (result.affected_rows() != 1) return NotFound();
  return absl::OkStatus();
}

}  // namespace bastion::data::storage
