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

// A pending approval past its expiry reads as expired.
#define APPROVAL_COLUMNS                                                    \
  "approval_id, run_id, tool_call_id, tool_name, args_sha256, user_id,"     \
  " tenant_id, CASE WHEN status = 'pending' AND expires_at <= now()"        \
  " THEN 'expired' ELSE status END AS status, "                             \
  BASTION_MICROS("created_at") " AS created_us, "                           \
  BASTION_MICROS("expires_at") " AS expires_us,"                            \
  " coalesce(resolver_user_id, '') AS resolver, "                           \
  BASTION_MICROS("resolved_at") " AS resolved_us, reason"

// Only for one of the principal's own runs. $1 tenant, $2 user, $3 id
// (NULL: generate), $4 run, $5 tool call, $6 tool, $7 args hash, $8 ttl s.
constexpr char kInsert[] =
    "INSERT INTO bastion_data.approvals (tenant_id, user_id, approval_id,"
    " run_id, tool_call_id, tool_name, args_sha256, expires_at)"
    " SELECT r.tenant_id, r.user_id, coalesce($3, gen_random_uuid()::text),"
    " r.run_id, $5, $6, $7, now() + $8::bigint * interval '1 second'"
    " FROM bastion_data.runs r"
    " WHERE r.tenant_id = $1 AND r.user_id = $2 AND r.run_id = $4"
    " RETURNING " APPROVAL_COLUMNS;

// $1 tenant, $2 user (NULL: any), $3 id.
constexpr char kSelect[] =
    "SELECT " APPROVAL_COLUMNS " FROM bastion_data.approvals"
    " WHERE tenant_id = $1 AND ($2::text IS NULL OR user_id = $2)"
    " AND approval_id = $3";

// $1 tenant (NULL: any), $2 user (NULL: any), $3 status, $4 run,
// $5 cursor micros, $6 cursor id, $7 limit.
// `owner` is BASTION_ONE_OWNER (tenant and user set: plain equalities, so
// one generic plan uses the owner index) or BASTION_ANY_OWNER.
#define LIST_APPROVALS(owner)                                      \
  "SELECT " APPROVAL_COLUMNS " FROM bastion_data.approvals"        \
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

// The single atomic transition. $1 tenant, $2 resolver, $3 id,
// $4 new status, $5 expected args hash, $6 reason.
constexpr char kResolve[] =
    "UPDATE bastion_data.approvals SET status = $4, resolver_user_id = $2,"
    " resolved_at = now(), reason = $6"
    " WHERE tenant_id = $1 AND approval_id = $3 AND status = 'pending'"
    " AND expires_at > now() AND user_id <> $2 AND args_sha256 = $5"
    " RETURNING " APPROVAL_COLUMNS;

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
  return a;
}

absl::Status NotFound() { return absl::NotFoundError("approval not found"); }

}  // namespace

absl::StatusOr<v1::Approval> PgApprovalStore::CreateApproval(
    const pg::PrincipalScope& scope, const v1::CreateApprovalRequest& request) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      RunAsPrincipal(pool_, scope,
                     {{kInsert,
                       {scope.tenant_id, scope.user_id,
                        OptionalParam(request.approval_id()), request.run_id(),
                        request.tool_call_id(), request.tool_name(),
                        request.args_sha256(),
                        std::to_string(request.ttl_seconds())}}}));
  if (results[0].rows() != 1) return absl::NotFoundError("run not found");
  return ToApproval(results[0], 0);
}

absl::StatusOr<v1::Approval> PgApprovalStore::GetApproval(
    const pg::PrincipalScope& scope, const v1::GetApprovalRequest& request) {
  ASSIGN_OR_RETURN(PgResult result,
                   RunById(pool_, scope, AuditedTable::kApprovals,
                           "approvals.get", request.approval_id(), kSelect));
  if (result.rows() != 1) return NotFound();
  return ToApproval(result, 0);
}

absl::StatusOr<v1::ListApprovalsResponse> PgApprovalStore::ListApprovals(
    const pg::PrincipalScope& scope, const OwnerFilter& owner,
    const Page& page, const v1::ListApprovalsRequest& request) {
  pg::Param status;
  if (const char* text = StatusText(request.status()); text != nullptr) {
    status = std::string(text);
  }
  ASSIGN_OR_RETURN(
      PgResult rows,
      RunAudited(pool_, scope,
                 AdminAudit(scope, "approvals.list", "approvals", "", ""),
                 {kList[OneOwner(owner)],
                  PageParams(page, {owner.tenant_id, owner.user_id, status,
                                    OptionalParam(request.run_id())})}));
  v1::ListApprovalsResponse response;
  RETURN_IF_ERROR(FillPage(rows, page, {"created_us", "approval_id"},
                           ToApproval, response.mutable_approvals(),
                           response.mutable_page()));
  return response;
}

absl::StatusOr<v1::Approval> PgApprovalStore::ResolveApproval(
    const pg::PrincipalScope& scope, const v1::ResolveApprovalRequest& request) {
  const char* decision =
      request.decision() == v1::APPROVAL_DECISION_APPROVE ? "approved"
                                                          : "rejected";
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Statement> batch =
      AdminAuditById(scope, AuditedTable::kApprovals, "approvals.resolve",
                     request.approval_id());
  const size_t at = batch.size();
  batch.push_back({kResolve,
                   {scope.tenant_id, scope.user_id, request.approval_id(),
                    std::string(decision), request.expected_args_sha256(),
                    request.reason()}});
  batch.push_back(
      {kSelect, {owner.tenant_id, owner.user_id, request.approval_id()}});
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
