#include "services/data/storage/pg_run_store.h"

#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
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

#define RUN_COLUMNS                                                         \
  "run_id, component_type, component_id, session_id, tenant_id, user_id,"   \
  " status, input::text AS input, output, error,"                           \
  " paused_tool_calls::text AS paused, cancel_requested, delegation_id, "   \
  BASTION_MICROS("created_at") " AS created_us, "                           \
  BASTION_MICROS("updated_at") " AS updated_us"

#define EVENT_COLUMNS \
  "run_id, seq, type, payload::text AS payload, " \
  BASTION_MICROS("created_at") " AS created_us"

// $1 tenant, $2 user, $3 id (NULL: generate), $4 type, $5 component,
// $6 session, $7 status, $8 input, $9 delegation id.
constexpr char kInsert[] =
    "INSERT INTO bastion_data.runs (tenant_id, user_id, run_id,"
    " component_type, component_id, session_id, status, input, delegation_id)"
    " VALUES ($1, $2, coalesce($3, gen_random_uuid()::text), $4, $5, $6, $7,"
    " coalesce($8::jsonb, 'null'::jsonb), $9)"
    " RETURNING " RUN_COLUMNS;

// $1 tenant, $2 user (NULL: any), $3 id, $4 type (NULL: any),
// $5 component (NULL: any).
#define SELECT_RUN(owner)                          \
  "SELECT " RUN_COLUMNS                            \
  " FROM bastion_data.runs"                        \
  " WHERE" owner                                   \
  " AND run_id = $3"                               \
  " AND ($4::text IS NULL OR component_type = $4)" \
  " AND ($5::text IS NULL OR component_id = $5)"

// $1 tenant, $2 user (NULL: any), $3 run, $4 after seq, $5 limit.
#define SELECT_EVENTS(owner)                           \
  "SELECT " EVENT_COLUMNS                              \
  " FROM bastion_data.run_events"                      \
  " WHERE" owner                                       \
  " AND run_id = $3 AND seq > $4::bigint ORDER BY seq" \
  " LIMIT $5::int"

// $1 tenant (NULL: any), $2 user (NULL: any), $3 type, $4 component,
// $5 session, $6 status, $7 cursor micros, $8 cursor id, $9 limit.
// `owner` is BASTION_ONE_OWNER (tenant and user set: plain equalities, so
// one generic plan uses the owner index) or BASTION_ANY_OWNER.
#define LIST_RUNS(owner)                                                   \
  "SELECT " RUN_COLUMNS " FROM bastion_data.runs"                          \
  owner                                                                    \
  " AND ($3::text IS NULL OR component_type = $3)"                         \
  " AND ($4::text IS NULL OR component_id = $4)"                           \
  " AND ($5::text IS NULL OR session_id = $5)"                             \
  " AND ($6::text IS NULL OR status = $6)"                                 \
  " AND ($7::bigint IS NULL OR (created_at, run_id) < (" BASTION_TS("$7")  \
  ", $8::text))"                                                           \
  " ORDER BY created_at DESC, run_id DESC LIMIT $9::int"
// [one owner]
constexpr const char* kList[2] = {LIST_RUNS(BASTION_ANY_OWNER),
                                  LIST_RUNS(BASTION_ONE_OWNER)};

// $1 tenant, $2 user (NULL: any), $3 id, $4 expected status (NULL: any),
// $5 new status (NULL: keep), $6 set output?, $7 output, $8 set error?,
// $9 error, $10 set paused?, $11 paused (JSON), $12 request cancel,
// $13 set delegation?, $14 delegation id, $15 staleness in microseconds of
// the session's earlier runs in progress (NULL: update regardless).
#define UPDATE_RUN(owner)                                                    \
  "UPDATE bastion_data.runs AS r SET"                                        \
  " status = coalesce($5, status),"                                          \
  " output = CASE WHEN $6::boolean THEN $7 ELSE output END,"                 \
  " error = CASE WHEN $8::boolean THEN $9 ELSE error END,"                   \
  " paused_tool_calls = CASE WHEN $10::boolean THEN $11::jsonb"              \
  "   ELSE paused_tool_calls END,"                                           \
  " cancel_requested = cancel_requested OR $12::boolean,"                    \
  " delegation_id = CASE WHEN $13::boolean THEN $14 ELSE delegation_id END," \
  " updated_at = greatest(now(), updated_at + interval '1 microsecond')"     \
  " WHERE" owner                                                             \
  " AND run_id = $3 AND ($4::text IS NULL OR status = $4)"                   \
  " AND ($15::bigint IS NULL OR r.session_id = '' OR NOT EXISTS ("           \
  "   SELECT 1 FROM bastion_data.runs o"                                     \
  "   WHERE o.tenant_id = r.tenant_id AND o.user_id = r.user_id"             \
  "   AND o.session_id = r.session_id AND o.run_id <> r.run_id"              \
  "   AND (o.created_at, o.run_id) < (r.created_at, r.run_id)"               \
  "   AND o.status IN ('pending', 'running')"                                \
  "   AND o.updated_at > now() - $15::bigint * interval '1 microsecond'))"   \
  " RETURNING " RUN_COLUMNS

// The run's status, when UpdateRun changed nothing: why not.
#define STATUS_OF(owner) \
  "SELECT status FROM bastion_data.runs WHERE" owner " AND run_id = $3"

// Serializes appends to one run. A statement of its own: the next
// statement then takes a fresh snapshot that sees the previous appender's
// events (READ COMMITTED), which a CTE of the same statement would not.
#define LOCK_RUN(owner)                         \
  "SELECT 1 FROM bastion_data.runs WHERE" owner \
  " AND run_id = $3"                            \
  " FOR UPDATE"

// The rest of an append, after a CTE `run` naming the run (tenant_id,
// user_id, run_id): numbers the new events after the run's last one.
// `types` and `payloads` are the parameters holding the events' types (a
// JSON array of strings) and payloads (a JSON array of JSON texts).
#define APPEND_TO_RUN(types, payloads)                                      \
  " base AS ("                                                              \
  "  SELECT coalesce(max(e.seq), 0) AS seq FROM bastion_data.run_events e"  \
  "  JOIN run r ON e.tenant_id = r.tenant_id AND e.user_id = r.user_id"     \
  "  AND e.run_id = r.run_id),"                                             \
  " ev AS ("                                                                \
  "  SELECT t.type, p.payload, t.ord"                                       \
  "  FROM jsonb_array_elements_text(" types "::jsonb)"                      \
  "    WITH ORDINALITY AS t(type, ord)"                                     \
  "  JOIN jsonb_array_elements_text(" payloads "::jsonb) WITH ORDINALITY"   \
  "    AS p(payload, ord) ON p.ord = t.ord)"                                \
  " INSERT INTO bastion_data.run_events"                                    \
  " (tenant_id, user_id, run_id, seq, type, payload)"                       \
  " SELECT r.tenant_id, r.user_id, r.run_id, b.seq + ev.ord, ev.type,"      \
  " CASE WHEN ev.payload = '' THEN '{}'::jsonb ELSE ev.payload::jsonb END"  \
  " FROM run r CROSS JOIN base b CROSS JOIN ev ORDER BY ev.ord"             \
  " RETURNING " EVENT_COLUMNS

// $1 tenant, $2 user (NULL: any), $3 run, $4 types, $5 payloads.
#define APPEND_EVENTS(owner)                                   \
  "WITH run AS ("                                              \
  "  SELECT tenant_id, user_id, run_id FROM bastion_data.runs" \
  "  WHERE" owner " AND run_id = $3)," APPEND_TO_RUN("$4", "$5")

// The end of a run and its final events in one statement: the run moves
// from the expected status to the new one, and only then are the events
// appended (no row when the status was not the expected one). $1 tenant,
// $2 user (NULL: any), $3 run, $4 expected status, $5 new status,
// $6 output (NULL: keep), $7 error (NULL: keep), $8 paused calls (JSON;
// NULL: keep), $9 types, $10 payloads.
#define END_AND_APPEND(owner)                                             \
  "WITH run AS ("                                                         \
  "  UPDATE bastion_data.runs SET status = $5,"                           \
  "  output = coalesce($6, output), error = coalesce($7, error),"         \
  "  paused_tool_calls = coalesce($8::jsonb, paused_tool_calls),"         \
  "  updated_at = greatest(now(), updated_at + interval '1 microsecond')" \
  "  WHERE" owner                                                         \
  " AND run_id = $3 AND status = $4"                                      \
  "  RETURNING tenant_id, user_id, run_id)," APPEND_TO_RUN("$9", "$10")

// By-id statements, [one owner] (BASTION_BY_ID).
constexpr const char* kSelect[2] = BASTION_BY_ID(SELECT_RUN);
constexpr const char* kSelectEvents[2] = BASTION_BY_ID(SELECT_EVENTS);
constexpr const char* kUpdate[2] = BASTION_BY_ID(UPDATE_RUN);
constexpr const char* kStatusOf[2] = BASTION_BY_ID(STATUS_OF);
constexpr const char* kLockRun[2] = BASTION_BY_ID(LOCK_RUN);
constexpr const char* kAppendEvents[2] = BASTION_BY_ID(APPEND_EVENTS);
constexpr const char* kEndAndAppend[2] = BASTION_BY_ID(END_AND_APPEND);

const char* StatusText(common::v1::RunStatus status) {
  switch (status) {
    case common::v1::RUN_STATUS_PENDING:
      return "pending";
    case common::v1::RUN_STATUS_RUNNING:
      return "running";
    case common::v1::RUN_STATUS_PAUSED:
      return "paused";
    case common::v1::RUN_STATUS_COMPLETED:
      return "completed";
    case common::v1::RUN_STATUS_FAILED:
      return "failed";
    case common::v1::RUN_STATUS_CANCELLED:
      return "cancelled";
    default:
      return nullptr;
  }
}

common::v1::RunStatus StatusFromText(std::string_view text) {
  for (common::v1::RunStatus s :
       {common::v1::RUN_STATUS_PENDING, common::v1::RUN_STATUS_RUNNING, common::v1::RUN_STATUS_PAUSED,
        common::v1::RUN_STATUS_COMPLETED, common::v1::RUN_STATUS_FAILED,
        common::v1::RUN_STATUS_CANCELLED}) {
    if (text == StatusText(s)) return s;
  }
  return common::v1::RUN_STATUS_UNSPECIFIED;
}

pg::Param StatusParam(common::v1::RunStatus status) {
  const char* text = StatusText(status);
  return text ? pg::Param(text) : std::nullopt;
}

google::protobuf::util::JsonPrintOptions JsonOptions() {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  return options;
}

absl::StatusOr<std::string> PausedToJson(
    const google::protobuf::RepeatedPtrField<v1::PausedToolCall>& calls) {
  std::string out = "[";
  for (const v1::PausedToolCall& call : calls) {
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(call, &json, JsonOptions())
             .ok()) {
      return absl::InvalidArgumentError("paused_tool_calls not encodable");
    }
    if (out.size() > 1) out += ",";
    out += json;
  }
  return out + "]";
}

absl::Status PausedFromJson(std::string_view json, v1::RunRecord& run) {
  google::protobuf::ListValue list;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &list)
           .ok()) {
    return absl::InternalError("malformed stored paused_tool_calls");
  }
  for (const google::protobuf::Value& v : list.values()) {
    std::string one;
    if (!google::protobuf::util::MessageToJsonString(v.struct_value(), &one)
             .ok() ||
        !google::protobuf::util::JsonStringToMessage(
             one, run.add_paused_tool_calls())
             .ok()) {
      return absl::InternalError("malformed stored paused_tool_calls");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::RunRecord> ToRun(const PgResult& r, int row) {
  v1::RunRecord run;
  run.set_run_id(std::string(r.Get(row, "run_id")));
  run.set_component_type(ComponentTypeFromText(r.Get(row, "component_type")));
  run.set_component_id(std::string(r.Get(row, "component_id")));
  run.set_session_id(std::string(r.Get(row, "session_id")));
  run.set_tenant_id(std::string(r.Get(row, "tenant_id")));
  run.set_user_id(std::string(r.Get(row, "user_id")));
  run.set_status(StatusFromText(r.Get(row, "status")));
  run.set_input_json(std::string(r.Get(row, "input")));
  run.set_output(std::string(r.Get(row, "output")));
  run.set_error(std::string(r.Get(row, "error")));
  RETURN_IF_ERROR(PausedFromJson(r.Get(row, "paused"), run));
  run.set_cancel_requested(r.Get(row, "cancel_requested") == "t");
  run.set_created_at_unix_micros(ToInt64(r.Get(row, "created_us")));
  run.set_updated_at_unix_micros(ToInt64(r.Get(row, "updated_us")));
  run.set_delegation_id(std::string(r.Get(row, "delegation_id")));
  return run;
}

v1::RunEventRecord ToEvent(const PgResult& r, int row) {
  v1::RunEventRecord e;
  e.set_run_id(std::string(r.Get(row, "run_id")));
  e.set_seq(ToInt64(r.Get(row, "seq")));
  e.set_type(std::string(r.Get(row, "type")));
  e.set_payload_json(std::string(r.Get(row, "payload")));
  e.set_created_at_unix_micros(ToInt64(r.Get(row, "created_us")));
  return e;
}

absl::Status NotFound() { return absl::NotFoundError("run not found"); }

}  // namespace

absl::StatusOr<v1::RunRecord> PgRunStore::CreateRun(
    const pg::PrincipalScope& scope, const v1::CreateRunRequest& request) {
  const char* status = request.status() == common::v1::RUN_STATUS_UNSPECIFIED
                           ? "pending"
                           : StatusText(request.status());
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kInsert,
                       {scope.tenant_id, scope.user_id,
                        OptionalParam(request.run_id()),
                        ComponentTypeParam(request.component_type()),
                        request.component_id(), request.session_id(),
                        std::string(status),
                        OptionalParam(request.input_json()),
                        request.delegation_id()}}}));
  return ToRun(results[0], 0);
}

absl::StatusOr<v1::GetRunResponse> PgRunStore::GetRun(
    const pg::PrincipalScope& scope, const v1::GetRunRequest& request) {
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Statement> batch =
      AdminAuditById(scope, AuditedTable::kRuns, "runs.get", request.run_id());
  const size_t at = batch.size();
  batch.push_back({kSelect[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id, request.run_id(),
                    ComponentTypeParam(request.component_type()),
                    OptionalParam(request.component_id())}});
  if (request.include_events()) {
    batch.push_back({kSelectEvents[OneOwner(owner)],
                     {owner.tenant_id, owner.user_id, request.run_id(),
                      std::to_string(request.events_after_seq()),
                      std::to_string(kMaxPageSize)}});
  }
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  if (results[at].rows() != 1) return NotFound();
  v1::GetRunResponse response;
  ASSIGN_OR_RETURN(*response.mutable_run(), ToRun(results[at], 0));
  if (request.include_events()) {
    const PgResult& events = results[at + 1];
    for (int i = 0; i < events.rows(); ++i) {
      *response.add_events() = ToEvent(events, i);
    }
  }
  return response;
}

absl::StatusOr<v1::ListRunsResponse> PgRunStore::ListRuns(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListRunsRequest& request) {
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "runs.list", "runs", "",
                            owner.user_id.value_or("")),
                 {kList[OneOwner(owner)],
                  PageParams(page, {owner.tenant_id, owner.user_id,
                                    ComponentTypeParam(request.component_type()),
                                    OptionalParam(request.component_id()),
                                    OptionalParam(request.session_id()),
                                    StatusParam(request.status())})}));
  v1::ListRunsResponse response;
  RETURN_IF_ERROR(FillPage(rows, page, {"created_us", "run_id"}, ToRun,
                           response.mutable_runs(), response.mutable_page()));
  return response;
}

absl::StatusOr<v1::RunRecord> PgRunStore::UpdateRun(
    const pg::PrincipalScope& scope, const v1::UpdateRunRequest& request) {
  ASSIGN_OR_RETURN(std::string paused, PausedToJson(request.paused_tool_calls()));
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Statement> batch = AdminAuditById(
      scope, AuditedTable::kRuns, "runs.update", request.run_id());
  const size_t at = batch.size();
  batch.push_back(
      {kUpdate[OneOwner(owner)],
       {owner.tenant_id, owner.user_id, request.run_id(),
        StatusParam(request.expected_status()), StatusParam(request.status()),
        request.update_output() ? "true" : "false", request.output(),
        request.update_error() ? "true" : "false", request.error(),
        request.update_paused_tool_calls() ? "true" : "false", paused,
        request.request_cancel() ? "true" : "false",
        request.update_delegation_id() ? "true" : "false",
        request.delegation_id(),
        request.only_when_session_idle()
            ? pg::Param(std::to_string(request.session_stale_after_ms() * 1000))
            : std::nullopt}});
  batch.push_back({kStatusOf[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id, request.run_id()}});
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  if (results[at].rows() == 1) return ToRun(results[at], 0);
  const PgResult& current = results[at + 1];
  if (current.rows() != 1) return NotFound();
  if (request.expected_status() != common::v1::RUN_STATUS_UNSPECIFIED &&
      StatusFromText(current.Get(0, "status")) != request.expected_status()) {
    return absl::FailedPreconditionError("run is not in the expected status");
  }
  return absl::FailedPreconditionError(
      "the run's session has an earlier run in progress");
}

absl::StatusOr<v1::AppendRunEventsResponse> PgRunStore::AppendRunEvents(
    const pg::PrincipalScope& scope, const v1::AppendRunEventsRequest& request) {
  std::vector<std::string> types;
  std::vector<std::string> payloads;
  for (const v1::RunEventRecord& e : request.events()) {
    types.push_back(e.type());
    payloads.push_back(e.payload_json());
  }
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Statement> batch = AdminAuditById(
      scope, AuditedTable::kRuns, "runs.append_events", request.run_id());
  // Taken first, in a statement of its own, so that the append's snapshot
  // sees every event appended before (kLockRun).
  batch.push_back({kLockRun[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id, request.run_id()}});
  const size_t at = batch.size();
  if (request.has_end()) {
    const v1::RunEnd& end = request.end();
    ASSIGN_OR_RETURN(std::string paused, PausedToJson(end.paused_tool_calls()));
    batch.push_back(
        {kEndAndAppend[OneOwner(owner)],
         {owner.tenant_id, owner.user_id, request.run_id(),
          StatusParam(end.expected_status()), StatusParam(end.status()),
          end.status() == common::v1::RUN_STATUS_COMPLETED
              ? pg::Param(end.output())
              : std::nullopt,
          end.status() == common::v1::RUN_STATUS_FAILED ? pg::Param(end.error())
                                                        : std::nullopt,
          end.status() == common::v1::RUN_STATUS_PAUSED ? pg::Param(paused)
                                                        : std::nullopt,
          JsonStringArray(types), JsonStringArray(payloads)}});
    batch.push_back({kStatusOf[OneOwner(owner)],
                     {owner.tenant_id, owner.user_id, request.run_id()}});
  } else {
    batch.push_back({kAppendEvents[OneOwner(owner)],
                     {owner.tenant_id, owner.user_id, request.run_id(),
                      JsonStringArray(types), JsonStringArray(payloads)}});
  }
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  const PgResult& rows = results[at];
  if (rows.rows() == 0) {
    if (request.has_end() && results[at + 1].rows() == 1) {
      return absl::FailedPreconditionError("run is not in the expected status");
    }
    return NotFound();
  }
  v1::AppendRunEventsResponse response;
  for (int i = 0; i < rows.rows(); ++i) *response.add_events() = ToEvent(rows, i);
  return response;
}

}  // namespace bastion::data::storage
