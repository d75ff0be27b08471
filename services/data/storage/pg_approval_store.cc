#include "services/data/storage/pg_approval_store.h"

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

// A pending approval past its expiry reads as expired (the stores also
// mark it so, audited, when a read meets it: kExpire). Lists leave the
// arguments out (up to 1 MiB each); by-id reads return them.
#define APPROVAL_SUMMARY_COLUMNS                                            \
  "approval_id, run_id, tool_call_id, tool_name, args_sha256, user_id,"     \
  " tenant_id, CASE WHEN status = 'pending' AND expires_at <= now()"        \
  " THEN 'expired' ELSE status END AS status, "                             \
  BASTION_MICROS("created_at") " AS created_us, "                           \
  BASTION_MICROS("expires_at") " AS expires_us,"                            \
  " coalesce(resolver_user_id, '') AS resolver, "                           \
  BASTION_MICROS("resolved_at") " AS resolved_us, reason, kind"
#define APPROVAL_COLUMNS APPROVAL_SUMMARY_COLUMNS ", arguments_json"

// Approvals found pending past their expiry become expired, each audited
// once ("approvals.expired": who observed it, whose approval, when it
// expired); concurrent readers cannot both expire one row. $1 tenant (NULL:
// any), $2 user (NULL: any), $3 id (NULL: any), $4 observer, $5 its admin
// level. `owner` as in LIST_APPROVALS.
#define EXPIRE_APPROVALS(owner)                                               \
  "WITH expired AS ("                                                         \
  " UPDATE bastion_data.approvals SET status = 'expired'"                     \
  owner                                                                       \
  " AND ($3::text IS NULL OR approval_id = $3)"                               \
  " AND status = 'pending' AND expires_at <= now()"                           \
  " RETURNING tenant_id, user_id, approval_id, run_id, tool_call_id,"         \
  " tool_name, expires_at)"                                                   \
  " INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"  \
  " action, resource, resource_id, target_user_id, detail)"                   \
  " SELECT tenant_id, $4, $5, 'approvals.expired', 'approvals', approval_id," \
  " user_id, jsonb_build_object('run_id', run_id, 'tool_call_id',"            \
  " tool_call_id, 'tool_name', tool_name, 'expired_at_unix_micros', "         \
  BASTION_MICROS("expires_at") ") FROM expired"
// [one owner]
constexpr const char* kExpire[2] = {EXPIRE_APPROVALS(BASTION_ANY_OWNER),
                                    EXPIRE_APPROVALS(BASTION_ONE_OWNER)};

// Only for one of the principal's own runs; the request is audited
// ("approvals.requested") in the same statement. $1 tenant, $2 user, $3 id
// (NULL: generate), $4 run, $5 tool call, $6 tool, $7 args hash, $8 ttl s,
// $9 arguments, $10 the requester's admin level.
constexpr char kInsert[] =
    "WITH created AS ("
    " INSERT INTO bastion_data.approvals (tenant_id, user_id, approval_id,"
    " run_id, tool_call_id, tool_name, args_sha256, expires_at,"
    " arguments_json)"
    " SELECT r.tenant_id, r.user_id, coalesce($3, gen_random_uuid()::text),"
    " r.run_id, $5, $6, $7, now() + $8::bigint * interval '1 second', $9"
    " FROM bastion_data.runs r"
    " WHERE r.tenant_id = $1 AND r.user_id = $2 AND r.run_id = $4"
    " RETURNING *),"
    " requested AS ("
    " INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"
    " action, resource, resource_id, target_user_id, detail)"
    " SELECT tenant_id, user_id, $10, 'approvals.requested', 'approvals',"
    " approval_id, user_id, jsonb_build_object('run_id', run_id,"
    " 'tool_call_id', tool_call_id, 'tool_name', tool_name, 'args_sha256',"
    " args_sha256, 'expires_at_unix_micros', " BASTION_MICROS("expires_at")
    ") FROM created)"
    " SELECT " APPROVAL_COLUMNS " FROM created";

// An audit record of the principal's own decision on a call of one of its
// own runs: resolved when made, by the requester, audited
// ("approvals.audit_approved" / "approvals.audit_rejected") in the same
// statement. $1 tenant, $2 user, $3 id (NULL: generate), $4 run, $5 tool
// call, $6 tool, $7 args hash, $8 arguments, $9 status (approved,
// rejected), $10 the requester's admin level.
constexpr char kInsertAudit[] =
    "WITH created AS ("
    " INSERT INTO bastion_data.approvals (tenant_id, user_id, approval_id,"
    " run_id, tool_call_id, tool_name, args_sha256, expires_at,"
    " arguments_json, kind, status, resolver_user_id, resolved_at)"
    " SELECT r.tenant_id, r.user_id, coalesce($3, gen_random_uuid()::text),"
    " r.run_id, $5, $6, $7, now(), $8, 'audit', $9, r.user_id, now()"
    " FROM bastion_data.runs r"
    " WHERE r.tenant_id = $1 AND r.user_id = $2 AND r.run_id = $4"
    " RETURNING *),"
    " recorded AS ("
    " INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"
    " action, resource, resource_id, target_user_id, detail)"
    " SELECT tenant_id, user_id, $10, CASE status WHEN 'approved'"
    " THEN 'approvals.audit_approved' ELSE 'approvals.audit_rejected' END,"
    " 'approvals', approval_id, user_id, jsonb_build_object('run_id', run_id,"
    " 'tool_call_id', tool_call_id, 'tool_name', tool_name, 'args_sha256',"
    " args_sha256, 'kind', kind) FROM created)"
    " SELECT " APPROVAL_COLUMNS " FROM created";

// $1 tenant, $2 user (NULL: any), $3 id.
#define SELECT_BY_ID(owner)      \
  "SELECT " APPROVAL_COLUMNS     \
  " FROM bastion_data.approvals" \
  " WHERE" owner " AND approval_id = $3"

// By-id statements, [one owner] (BASTION_BY_ID).
constexpr const char* kSelect[2] = BASTION_BY_ID(SELECT_BY_ID);

// $1 tenant (NULL: any), $2 user (NULL: any), $3 status, $4 run,
// $5 cursor micros, $6 cursor id, $7 limit.
// `owner` is BASTION_ONE_OWNER (tenant and user set: plain equalities, so
// one generic plan uses the owner index) or BASTION_ANY_OWNER.
#define LIST_APPROVALS(owner)                                      \
  "SELECT " APPROVAL_SUMMARY_COLUMNS ", '' AS arguments_json"      \
  " FROM bastion_data.approvals"                                   \
  owner                                                            \
  " AND ($3::text IS NULL OR $3 = CASE WHEN status = 'pending'"    \
  "      AND expires_at <= now() THEN 'expired' ELSE status END)"  \
  " AND ($4::text IS NULL OR run_id = $4)"                         \
  " AND ($5::bigint IS NULL OR (created_at, approval_id) < ("      \
  BASTION_TS("$5") ", $6::text))"                                  \
  " ORDER BY created_at DESC, approval_id DESC LIMIT $7::int"
// [one owner]
constexpr const char* kList[2] = {LIST_APPROVALS(BASTION_ANY_OWNER),
                                  LIST_APPROVALS(BASTION_ONE_OWNER)};

// The same filters as LIST_APPROVALS ($1 tenant, $2 user, $3 status,
// $4 run), counted over all pages.
#define COUNT_APPROVALS(owner)                                     \
  "SELECT count(*) AS n FROM bastion_data.approvals"               \
  owner                                                            \
  " AND ($3::text IS NULL OR $3 = CASE WHEN status = 'pending'"    \
  "      AND expires_at <= now() THEN 'expired' ELSE status END)"  \
  " AND ($4::text IS NULL OR run_id = $4)"
// [one owner]
constexpr const char* kCount[2] = {COUNT_APPROVALS(BASTION_ANY_OWNER),
                                   COUNT_APPROVALS(BASTION_ONE_OWNER)};

// The single atomic transition, audited in the same statement
// ("approvals.approved" / "approvals.rejected": the resolver, the
// requester, the decision's reason). $1 tenant, $2 resolver, $3 id,
// $4 new status, $5 expected args hash, $6 reason, $7 the resolver's admin
// level.
constexpr char kResolve[] =
    "WITH resolved AS ("
    " UPDATE bastion_data.approvals SET status = $4, resolver_user_id = $2,"
    " resolved_at = now(), reason = $6"
    " WHERE tenant_id = $1 AND approval_id = $3 AND status = 'pending'"
    " AND expires_at > now() AND user_id <> $2 AND args_sha256 = $5"
    " RETURNING *),"
    " decided AS ("
    " INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"
    " action, resource, resource_id, target_user_id, detail)"
    " SELECT tenant_id, $2, $7, CASE status WHEN 'approved'"
    " THEN 'approvals.approved' ELSE 'approvals.rejected' END, 'approvals',"
    " approval_id, user_id, jsonb_build_object('run_id', run_id,"
    " 'tool_call_id', tool_call_id, 'tool_name', tool_name, 'args_sha256',"
    " args_sha256, 'reason', reason) FROM resolved)"
    " SELECT " APPROVAL_COLUMNS " FROM resolved";

v1::ApprovalStatus StatusFromText(std::string_view text) {
  if (text == "pending") return v1::APPROVAL_STATUS_PENDING;
  if (text == "approved") return v1::APPROVAL_STATUS_APPROVED;
  if (text == "rejected") return v1::APPROVAL_STATUS_REJECTED;
  if (text == "expired") return v1::APPROVAL_STATUS_EXPIRED;
  return v1::APPROVAL_STATUS_UNSPECIFIED;
}

const char* StatusText(v1::ApprovalStatus status) {
  switch (status) {
    case v1::APPROVAL_STATUS_PENDING:
      return "pending";
    case v1::APPROVAL_STATUS_APPROVED:
      return "approved";
    case v1::APPROVAL_STATUS_REJECTED:
      return "rejected";
    case v1::APPROVAL_STATUS_EXPIRED:
      return "expired";
    default:
      return nullptr;
  }
}

// The parameter of an optional status filter: NULL (any) for unspecified.
pg::Param StatusParam(v1::ApprovalStatus status) {
  if (const char* text = StatusText(status); text != nullptr) {
    return std::string(text);
  }
  return std::nullopt;
}

v1::Approval ToApproval(const PgResult& r, int row) {
  v1::Approval a;
  a.set_approval_id(std::string(r.Get(row, "approval_id")));
  a.set_run_id(std::string(r.Get(row, "run_id")));
  a.set_tool_call_id(std::string(r.Get(row, "tool_call_id")));
  a.set_tool_name(std::string(r.Get(row, "tool_name")));
  a.set_args_sha256(std::string(r.Get(row, "args_sha256")));
  a.set_requester_user_id(std::string(r.Get(row, "user_id")));
  a.set_tenant_id(std::string(r.Get(row, "tenant_id")));
  a.set_status(StatusFromText(r.Get(row, "status")));
  a.set_created_at_unix_micros(ToInt64(r.Get(row, "created_us")));
  a.set_expires_at_unix_micros(ToInt64(r.Get(row, "expires_us")));
  a.set_resolver_user_id(std::string(r.Get(row, "resolver")));
  a.set_resolved_at_unix_micros(ToInt64(r.Get(row, "resolved_us")));
  a.set_reason(std::string(r.Get(row, "reason")));
  a.set_arguments_json(std::string(r.Get(row, "arguments_json")));
  a.set_kind(r.Get(row, "kind") == "audit" ? v1::APPROVAL_KIND_AUDIT
                                           : v1::APPROVAL_KIND_APPROVAL);
  return a;
}

absl::Status NotFound() { return absl::NotFoundError("approval not found"); }

std::string LevelName(const pg::PrincipalScope& scope) {
  return std::string(pg::AdminLevelName(scope.admin_level));
}

// kExpire over the rows `owner` reaches (one of them when `id` is set), as
// the first statement of a read.
pg::Statement Expire(const pg::PrincipalScope& scope, const OwnerFilter& owner,
                     const pg::Param& id) {
  return {kExpire[OneOwner(owner)],
          {owner.tenant_id, owner.user_id, id, scope.user_id, LevelName(scope)}};
}

}  // namespace

absl::StatusOr<v1::Approval> PgApprovalStore::CreateApproval(
    const pg::PrincipalScope& scope, const v1::CreateApprovalRequest& request) {
  if (request.kind() == v1::APPROVAL_KIND_AUDIT) {
    ASSIGN_OR_RETURN(
        std::vector<PgResult> results,
        RunAsPrincipal(
            pool_, scope,
            {{kInsertAudit,
              {scope.tenant_id, scope.user_id,
               OptionalParam(request.approval_id()), request.run_id(),
               request.tool_call_id(), request.tool_name(),
               request.args_sha256(), request.arguments_json(),
               std::string(request.audit_decision() ==
                                   v1::APPROVAL_DECISION_APPROVE
                               ? "approved"
                               : "rejected"),
               LevelName(scope)}}}));
    if (results[0].rows() != 1) return absl::NotFoundError("run not found");
    return ToApproval(results[0], 0);
  }
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kInsert,
                       {scope.tenant_id, scope.user_id,
                        OptionalParam(request.approval_id()), request.run_id(),
                        request.tool_call_id(), request.tool_name(),
                        request.args_sha256(),
                        std::to_string(request.ttl_seconds()),
                        request.arguments_json(), LevelName(scope)}}}));
  if (results[0].rows() != 1) return absl::NotFoundError("run not found");
  return ToApproval(results[0], 0);
}

absl::StatusOr<v1::Approval> PgApprovalStore::GetApproval(
    const pg::PrincipalScope& scope, const v1::GetApprovalRequest& request) {
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Statement> batch = {
      Expire(scope, owner, request.approval_id())};
  for (pg::Statement& audit :
       AdminAuditById(scope, AuditedTable::kApprovals, "approvals.get",
                      request.approval_id())) {
    batch.push_back(std::move(audit));
  }
  batch.push_back({kSelect[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id, request.approval_id()}});
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  const PgResult& result = results.back();
  if (result.rows() != 1) return NotFound();
  return ToApproval(result, 0);
}

absl::StatusOr<v1::ListApprovalsResponse> PgApprovalStore::ListApprovals(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListApprovalsRequest& request) {
  std::vector<pg::Statement> batch = {Expire(scope, owner, std::nullopt)};
  for (pg::Statement& audit :
       AdminAudit(scope, "approvals.list", "approvals", "", "")) {
    batch.push_back(std::move(audit));
  }
  batch.push_back(
      {kList[OneOwner(owner)],
       PageParams(page, {owner.tenant_id, owner.user_id,
                         StatusParam(request.status()),
                         OptionalParam(request.run_id())})});
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  v1::ListApprovalsResponse response;
  RETURN_IF_ERROR(FillPage(results.back(), page, {"created_us", "approval_id"},
                           ToApproval, response.mutable_approvals(),
                           response.mutable_page()));
  return response;
}

absl::StatusOr<v1::CountApprovalsResponse> PgApprovalStore::CountApprovals(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const v1::CountApprovalsRequest& request) {
  std::vector<pg::Statement> batch = {Expire(scope, owner, std::nullopt)};
  for (pg::Statement& audit :
       AdminAudit(scope, "approvals.count", "approvals", "", "")) {
    batch.push_back(std::move(audit));
  }
  batch.push_back({kCount[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id,
                    StatusParam(request.status()),
                    OptionalParam(request.run_id())}});
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  v1::CountApprovalsResponse response;
  response.set_count(ToInt64(results.back().Get(0, "n")));
  return response;
}

absl::StatusOr<v1::Approval> PgApprovalStore::ResolveApproval(
    const pg::PrincipalScope& scope, const v1::ResolveApprovalRequest& request) {
  const char* decision =
      request.decision() == v1::APPROVAL_DECISION_APPROVE ? "approved"
                                                          : "rejected";
  OwnerFilter owner = ByIdFilter(scope);
  // An approval already past its expiry is marked expired (and audited)
  // first; the resolve below then finds it no longer pending.
  std::vector<pg::Statement> batch = {
      Expire(scope, owner, request.approval_id())};
  for (pg::Statement& audit :
       AdminAuditById(scope, AuditedTable::kApprovals, "approvals.resolve",
                      request.approval_id())) {
    batch.push_back(std::move(audit));
  }
  const size_t at = batch.size();
  batch.push_back({kResolve,
                   {scope.tenant_id, scope.user_id, request.approval_id(),
                    std::string(decision), request.expected_args_sha256(),
                    request.reason(), LevelName(scope)}});
  batch.push_back({kSelect[OneOwner(owner)],
                   {owner.tenant_id, owner.user_id, request.approval_id()}});
  ASSIGN_OR_RETURN(std::vector<PgResult> results,
                   RunAsPrincipal(pool_, scope, std::move(batch)));
  if (results[at].rows() == 1) return ToApproval(results[at], 0);
  if (results[at + 1].rows() == 1) {
    return absl::FailedPreconditionError(
        "approval is not pending, has expired, is the caller's own, or "
        "covers other arguments");
  }
  return NotFound();
}

}  // namespace bastion::data::storage
