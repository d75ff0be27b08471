#include "services/data/storage/pg_trace_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
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

#define SPAN_COLUMNS                                                       \
  "trace_id, span_id, parent_span_id, name, "                              \
  BASTION_MICROS("start_time") " AS start_us, "                            \
  BASTION_MICROS("end_time") " AS end_us, attributes::text AS attributes," \
  " status_code, status_message, seq, encode(prev_hash, 'hex') AS prev,"   \
  " encode(hash, 'hex') AS hash, user_id"

// seq, prev_hash and hash are placeholders the chain_span trigger replaces.
// $1 tenant, $2 user, $3 trace, $4 span, $5 parent, $6 name, $7 start us,
// $8 end us (NULL: open), $9 attributes, $10 status, $11 message.
constexpr char kInsert[] =
    "INSERT INTO bastion_data.spans (tenant_id, user_id, trace_id, span_id,"
    " parent_span_id, name, start_time, end_time, attributes, status_code,"
    " status_message, seq, prev_hash, hash)"
    " VALUES ($1, $2, $3, $4, $5, $6, " BASTION_TS("$7") ","
    " CASE WHEN $8::bigint IS NULL THEN NULL ELSE " BASTION_TS("$8") " END,"
    " coalesce($9::jsonb, '{}'::jsonb), $10, $11, 0, '', '')"
    " RETURNING " SPAN_COLUMNS;

// Each row verifies its own hash, its link to the previous row and its
// position.
#define SELECT_TRACE_BY_ID(owner)                                    \
  "SELECT " SPAN_COLUMNS                                             \
  ","                                                                \
  " (s.hash = sha256(s.prev_hash || bastion_data.span_canonical(s))" \
  "  AND s.prev_hash = coalesce(lag(s.hash) OVER w,"                 \
  "                             decode(repeat('00', 32), 'hex'))"    \
  "  AND s.seq = row_number() OVER w) AS valid"                      \
  " FROM bastion_data.spans s"                                       \
  " WHERE" owner                                                     \
  " AND s.trace_id = $3"                                             \
  " WINDOW w AS (ORDER BY s.seq)"                                    \
  " ORDER BY s.seq"

// By-id, [one owner] (BASTION_BY_ID).
constexpr const char* kSelectTrace[2] = BASTION_BY_ID(SELECT_TRACE_BY_ID);

// $1 tenant (NULL: any), $2 user (NULL: any), $3 cursor micros,
// $4 cursor trace id, $5 limit.
// `owner` is BASTION_ONE_OWNER (tenant and user set: plain equalities, so
// one generic plan uses the owner index) or BASTION_ANY_OWNER.
#define LIST_TRACES(owner)                                              \
  "SELECT trace_id, user_id, count(*) AS spans,"                        \
  " " BASTION_MICROS("min(start_time)") " AS start_us,"                 \
  " " BASTION_MICROS("max(end_time)") " AS end_us,"                     \
  " (array_agg(name ORDER BY seq))[1] AS root_name,"                    \
  " " BASTION_MICROS("min(created_at)") " AS created_us"                \
  " FROM bastion_data.spans"                                            \
  owner                                                                 \
  " GROUP BY tenant_id, user_id, trace_id"                              \
  " HAVING $3::bigint IS NULL"                                          \
  " OR (min(created_at), trace_id) < (" BASTION_TS("$3") ", $4::text)"  \
  " ORDER BY min(created_at) DESC, trace_id DESC LIMIT $5::int"
// [one owner]
constexpr const char* kListTraces[2] = {LIST_TRACES(BASTION_ANY_OWNER),
                                        LIST_TRACES(BASTION_ONE_OWNER)};

const char* StatusText(v1::SpanStatus status) {
  switch (status) {
    case v1::SPAN_STATUS_OK:
      return "ok";
    case v1::SPAN_STATUS_ERROR:
      return "error";
    default:
      return "unset";
  }
}

v1::SpanStatus StatusFromText(std::string_view text) {
  if (text == "ok") return v1::SPAN_STATUS_OK;
  if (text == "error") return v1::SPAN_STATUS_ERROR;
  return v1::SPAN_STATUS_UNSET;
}

std::string FromHex(std::string_view hex) {
  return absl::HexStringToBytes(std::string(hex));
}

v1::Span ToSpan(const PgResult& r, int row) {
  v1::Span s;
  s.set_trace_id(std::string(r.Get(row, "trace_id")));
  s.set_span_id(std::string(r.Get(row, "span_id")));
  s.set_parent_span_id(std::string(r.Get(row, "parent_span_id")));
  s.set_name(std::string(r.Get(row, "name")));
  s.set_start_time_unix_nano(ToInt64(r.Get(row, "start_us")) * 1000);
  s.set_end_time_unix_nano(ToInt64(r.Get(row, "end_us")) * 1000);
  s.set_attributes_json(std::string(r.Get(row, "attributes")));
  s.set_status(StatusFromText(r.Get(row, "status_code")));
  s.set_status_message(std::string(r.Get(row, "status_message")));
  s.set_seq(ToInt64(r.Get(row, "seq")));
  s.set_prev_hash(FromHex(r.Get(row, "prev")));
  s.set_hash(FromHex(r.Get(row, "hash")));
  s.set_user_id(std::string(r.Get(row, "user_id")));
  return s;
}

v1::TraceSummary ToTraceSummary(const PgResult& r, int row) {
  v1::TraceSummary t;
  t.set_trace_id(std::string(r.Get(row, "trace_id")));
  t.set_user_id(std::string(r.Get(row, "user_id")));
  t.set_span_count(ToInt64(r.Get(row, "spans")));
  t.set_start_time_unix_nano(ToInt64(r.Get(row, "start_us")) * 1000);
  t.set_end_time_unix_nano(ToInt64(r.Get(row, "end_us")) * 1000);
  t.set_root_name(std::string(r.Get(row, "root_name")));
  return t;
}

}  // namespace

absl::StatusOr<v1::AppendSpansResponse> PgTraceStore::AppendSpans(
    const pg::PrincipalScope& scope, const v1::AppendSpansRequest& request) {
  std::vector<pg::Statement> batch;
  batch.reserve(request.spans_size());
  for (const v1::Span& span : request.spans()) {
    // Spans are written as the principal, whatever user_id they carry.
    batch.push_back(
        {kInsert,
         {scope.tenant_id, scope.user_id, span.trace_id(), span.span_id(),
          span.parent_span_id(), span.name(),
          std::to_string(span.start_time_unix_nano() / 1000),
          span.end_time_unix_nano() == 0
              ? pg::Param()
              : pg::Param(std::to_string(span.end_time_unix_nano() / 1000)),
          OptionalParam(span.attributes_json()), StatusText(span.status()),
          span.status_message()}});
  }
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  v1::AppendSpansResponse response;
  for (const PgResult& r : results) *response.add_spans() = ToSpan(r, 0);
  return response;
}

absl::StatusOr<v1::GetTraceResponse> PgTraceStore::GetTrace(
    const pg::PrincipalScope& scope, const v1::GetTraceRequest& request) {
  ASSIGN_OR_RETURN(PgResult rows,
                   RunById(pool_, scope, AuditedTable::kSpans,
                           "traces.get", request.trace_id(), kSelectTrace));
  if (rows.rows() == 0) return absl::NotFoundError("trace not found");
  v1::GetTraceResponse response;
  response.set_chain_valid(true);
  for (int i = 0; i < rows.rows(); ++i) {
    *response.add_spans() = ToSpan(rows, i);
    if (rows.Get(i, "valid") != "t" && response.chain_valid()) {
      response.set_chain_valid(false);
      response.set_first_invalid_seq(ToInt64(rows.Get(i, "seq")));
    }
  }
  return response;
}

absl::StatusOr<v1::ListTracesResponse> PgTraceStore::ListTraces(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListTracesRequest& /*request*/) {
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "traces.list", "traces", "",
                            owner.user_id.value_or("")),
                 {kListTraces[OneOwner(owner)],
                  PageParams(page, {owner.tenant_id, owner.user_id})}));
  v1::ListTracesResponse response;
  RETURN_IF_ERROR(FillPage(rows, page, {"created_us", "trace_id"},
                           ToTraceSummary, response.mutable_traces(),
                           response.mutable_page()));
  return response;
}

}  // namespace bastion::data::storage
