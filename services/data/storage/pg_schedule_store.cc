#include "services/data/storage/pg_schedule_store.h"

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
using ::bastion::pg::RunAsPrincipal;

#define SCHEDULE_COLUMNS                                                    \
  "schedule_id, component_type, component_id, cron, timezone,"              \
  " input::text AS input, to_jsonb(scopes)::text AS scopes, enabled, "      \
  BASTION_MICROS("next_run_at") " AS next_us, "                             \
  BASTION_MICROS("last_run_at") " AS last_us, tenant_id, user_id, "         \
  BASTION_MICROS("created_at") " AS created_us, "                           \
  BASTION_MICROS("updated_at") " AS updated_us, grant_id"

#define OPTIONAL_TS(param)                                                  \
  "CASE WHEN " param "::bigint IS NULL THEN NULL ELSE " BASTION_TS(param)   \
  " END"

// $1 tenant, $2 user, $3 id (NULL: generate), $4 type, $5 component,
// $6 cron, $7 timezone, $8 input, $9 scopes (JSON), $10 next micros,
// $11 grant id.
constexpr char kInsert[] =
    "INSERT INTO bastion_data.schedules (tenant_id, user_id, schedule_id,"
    " component_type, component_id, cron, timezone, input, scopes,"
    " next_run_at, grant_id)"
    " VALUES ($1, $2, coalesce($3, gen_random_uuid()::text), $4, $5, $6, $7,"
    " coalesce($8::jsonb, 'null'::jsonb),"
    " ARRAY(SELECT jsonb_array_elements_text($9::jsonb)), " OPTIONAL_TS("$10")
    ", $11) RETURNING " SCHEDULE_COLUMNS;

#define SELECT_BY_ID(owner)      \
  "SELECT " SCHEDULE_COLUMNS     \
  " FROM bastion_data.schedules" \
  " WHERE" owner " AND schedule_id = $3"

// $1 tenant (NULL: any), $2 user (NULL: any), $3 cursor micros,
// $4 cursor id, $5 limit.
// `owner` is BASTION_ONE_OWNER (tenant and user set: plain equalities, so
// one generic plan uses the owner index) or BASTION_ANY_OWNER.
#define LIST_SCHEDULES(owner)                                  \
  "SELECT " SCHEDULE_COLUMNS " FROM bastion_data.schedules"    \
  owner                                                        \
  " AND ($3::bigint IS NULL OR (created_at, schedule_id) > ("  \
  BASTION_TS("$3") ", $4::text))"                              \
  " ORDER BY created_at, schedule_id LIMIT $5::int"
// [one owner]
constexpr const char* kList[2] = {LIST_SCHEDULES(BASTION_ANY_OWNER),
                                  LIST_SCHEDULES(BASTION_ONE_OWNER)};

// $1 tenant, $2 user (NULL: any), $3 id, $4 set enabled?, $5 enabled,
// $6 set cron?, $7 cron, $8 timezone, $9 next micros, $10 set input?,
// $11 input.
#define UPDATE_BY_ID(owner) \
  "UPDATE bastion_data.schedules SET" \
  " enabled = CASE WHEN $4::boolean THEN $5::boolean ELSE enabled END," \
  " cron = CASE WHEN $6::boolean THEN $7 ELSE cron END," \
  " timezone = CASE WHEN $6::boolean THEN $8 ELSE timezone END," \
  " next_run_at = CASE WHEN $6::boolean THEN " OPTIONAL_TS("$9") \
  " ELSE next_run_at END," \
  " claimed_by = CASE WHEN $6::boolean THEN NULL ELSE claimed_by END," \
  " claim_expires_at = CASE WHEN $6::boolean THEN NULL" \
  "   ELSE claim_expires_at END," \
  " input = CASE WHEN $10::boolean THEN $11::jsonb ELSE input END," \
  " updated_at = greatest(now(), updated_at + interval '1 microsecond')" \
  " WHERE" owner \
  " AND schedule_id = $3" \
  " RETURNING " SCHEDULE_COLUMNS

#define DELETE_BY_ID(owner)            \
  "DELETE FROM bastion_data.schedules" \
  " WHERE" owner " AND schedule_id = $3"

// By-id statements, [one owner] (BASTION_BY_ID).
constexpr const char* kSelect[2] = BASTION_BY_ID(SELECT_BY_ID);
constexpr const char* kUpdate[2] = BASTION_BY_ID(UPDATE_BY_ID);
constexpr const char* kDelete[2] = BASTION_BY_ID(DELETE_BY_ID);

// Every tenant's due schedules (the scheduler's call, at the platform
// level), earliest first through the schedules_due_at index (migration
// 0004); one without a grant never fires. Each schedule claimed is audited
// in the same statement (actor $4/$5, the schedule and its owner named); a
// claim that finds nothing due records nothing, so polling does not fill
// the audit log. $1 claimer, $2 limit, $3 lease seconds. SKIP LOCKED:
// concurrent claimers take disjoint rows.
constexpr char kClaim[] =
    "WITH claimed AS ("
    " UPDATE bastion_data.schedules SET claimed_by = $1,"
    " claim_expires_at = now() + $3::int * interval '1 second',"
    " last_run_at = now()"
    " WHERE (tenant_id, schedule_id) IN ("
    "  SELECT tenant_id, schedule_id FROM bastion_data.schedules"
    "  WHERE enabled AND next_run_at <= now() AND grant_id <> ''"
    "  AND (claim_expires_at IS NULL OR claim_expires_at <= now())"
    "  ORDER BY next_run_at LIMIT $2::int FOR UPDATE SKIP LOCKED)"
    " RETURNING " SCHEDULE_COLUMNS "),"
    " audited AS ("
    " INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"
    " action, resource, resource_id, target_user_id)"
    " SELECT $4, $5, 'platform', 'schedules.claim', 'schedules', schedule_id,"
    " user_id FROM claimed)"
    " SELECT * FROM claimed";

// Ends a live claim of $3 on schedule ($1 tenant, $2 id): $4 next due
// micros (NULL: none), $5 disable.
constexpr char kAdvance[] =
    "UPDATE bastion_data.schedules SET"
    " next_run_at = " OPTIONAL_TS("$4") ","
    " enabled = enabled AND NOT $5::boolean,"
    " claimed_by = NULL, claim_expires_at = NULL,"
    " updated_at = greatest(now(), updated_at + interval '1 microsecond')"
    " WHERE tenant_id = $1 AND schedule_id = $2 AND claimed_by = $3"
    " AND claim_expires_at > now()"
    " RETURNING " SCHEDULE_COLUMNS;

absl::StatusOr<v1::Schedule> ToSchedule(const PgResult& r, int row) {
  v1::Schedule s;
  s.set_schedule_id(std::string(r.Get(row, "schedule_id")));
  s.set_component_type(ComponentTypeFromText(r.Get(row, "component_type")));
  s.set_component_id(std::string(r.Get(row, "component_id")));
  s.set_cron(std::string(r.Get(row, "cron")));
  s.set_timezone(std::string(r.Get(row, "timezone")));
  s.set_input_json(std::string(r.Get(row, "input")));
  ASSIGN_OR_RETURN(std::vector<std::string> scopes,
                   ParseJsonStringArray(r.Get(row, "scopes")));
  for (std::string& scope : scopes) s.add_scopes(std::move(scope));
  s.set_enabled(r.Get(row, "enabled") == "t");
  s.set_next_run_at_unix_micros(ToInt64(r.Get(row, "next_us")));
  s.set_last_run_at_unix_micros(ToInt64(r.Get(row, "last_us")));
  s.set_tenant_id(std::string(r.Get(row, "tenant_id")));
  s.set_grant_id(std::string(r.Get(row, "grant_id")));
  s.set_user_id(std::string(r.Get(row, "user_id")));
  s.set_created_at_unix_micros(ToInt64(r.Get(row, "created_us")));
  s.set_updated_at_unix_micros(ToInt64(r.Get(row, "updated_us")));
  return s;
}

pg::Param MicrosParam(int64_t micros) {
  if (micros <= 0) return std::nullopt;
  return std::to_string(micros);
}

absl::Status NotFound() { return absl::NotFoundError("schedule not found"); }

}  // namespace

absl::StatusOr<v1::Schedule> PgScheduleStore::CreateSchedule(
    const pg::PrincipalScope& scope, const v1::CreateScheduleRequest& request,
    const google::protobuf::RepeatedPtrField<std::string>& run_scopes) {
  const std::string timezone =
      request.timezone().empty() ? "UTC" : request.timezone();
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(
          pool_, scope,
          {{kInsert,
            {scope.tenant_id, scope.user_id,
             OptionalParam(request.schedule_id()),
             ComponentTypeParam(request.component_type()),
             request.component_id(), request.cron(), timezone,
             OptionalParam(request.input_json()),
             JsonStringArray(run_scopes),
             MicrosParam(request.next_run_at_unix_micros()),
             request.grant_id()}}}));
  return ToSchedule(results[0], 0);
}

absl::StatusOr<v1::Schedule> PgScheduleStore::GetSchedule(
    const pg::PrincipalScope& scope, const v1::GetScheduleRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kSchedules,
                           "schedules.get", request.schedule_id(), kSelect));
  if (result.rows() != 1) return NotFound();
  return ToSchedule(result, 0);
}

absl::StatusOr<v1::ListSchedulesResponse> PgScheduleStore::ListSchedules(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListSchedulesRequest& /*request*/) {
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "schedules.list", "schedules", "", ""),
                 {kList[OneOwner(owner)],
                  PageParams(page, {owner.tenant_id, owner.user_id})}));
  v1::ListSchedulesResponse response;
  RETURN_IF_ERROR(FillPage(rows, page, {"created_us", "schedule_id"},
                           ToSchedule, response.mutable_schedules(),
                           response.mutable_page()));
  return response;
}

absl::StatusOr<v1::Schedule> PgScheduleStore::UpdateSchedule(
    const pg::PrincipalScope& scope, const v1::UpdateScheduleRequest& request) {
  const std::string timezone =
      request.timezone().empty() ? "UTC" : request.timezone();
  ASSIGN_OR_RETURN(
      PgResult result,
      RunById(pool_, scope, AuditedTable::kSchedules, "schedules.update",
              request.schedule_id(), kUpdate,
              {request.update_enabled() ? "true" : "false",
               request.enabled() ? "true" : "false",
               request.update_cron() ? "true" : "false", request.cron(),
               timezone, MicrosParam(request.next_run_at_unix_micros()),
               request.update_input() ? "true" : "false",
               request.input_json().empty() ? "null" : request.input_json()}));
  if (result.rows() != 1) return NotFound();
  return ToSchedule(result, 0);
}

absl::Status PgScheduleStore::DeleteSchedule(
    const pg::PrincipalScope& scope, const v1::DeleteScheduleRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kSchedules,
                           "schedules.delete", request.schedule_id(), kDelete));
  if (result.affected_rows() != 1) return NotFound();
  return absl::OkStatus();
}

absl::StatusOr<v1::ClaimDueSchedulesResponse>
PgScheduleStore::ClaimDueSchedules(const pg::PrincipalScope& scope,
                                   const v1::ClaimDueSchedulesRequest& request) {
  // The scheduler claims other users' schedules: each one recorded.
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kClaim,
                       {request.claimer_id(), std::to_string(request.limit()),
                        std::to_string(request.lease_seconds()),
                        scope.tenant_id, scope.user_id}}}));
  const PgResult& claimed = results[0];
  v1::ClaimDueSchedulesResponse response;
  for (int i = 0; i < claimed.rows(); ++i) {
    ASSIGN_OR_RETURN(*response.add_schedules(), ToSchedule(claimed, i));
  }
  return response;
}

absl::StatusOr<v1::Schedule> PgScheduleStore::AdvanceSchedule(
    const pg::PrincipalScope& scope, const v1::AdvanceScheduleRequest& request) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kAdvance,
                       {request.tenant_id(), request.schedule_id(),
                        request.claimer_id(),
                        MicrosParam(request.next_run_at_unix_micros()),
                        request.disable() ? "true" : "false"}}}));
  if (results[0].rows() != 1) {
    return absl::FailedPreconditionError(
        "the schedule is not claimed by this claimer (any more)");
  }
  return ToSchedule(results[0], 0);
}

}  // namespace bastion::data::storage
