#include "common/pg/principal_transaction.h"

#include <utility>

#include "common/pg/pg_error.h"
#include "common/status/status_macros.h"

namespace bastion::pg {
namespace {

constexpr char kBegin[] = "BEGIN ISOLATION LEVEL READ COMMITTED";
// is_local => true: the values vanish at COMMIT/ROLLBACK, so a pooled
// connection never carries them into the next request.
constexpr char kSetPrincipal[] =
    "SELECT set_config('bastion.tenant_id', $1, true),"
    " set_config('bastion.user_id', $2, true),"
    " set_config('bastion.admin_level', $3, true)";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";

// The settings statement for `scope`; INVALID_ARGUMENT for an empty tenant
// or user (such a principal must never reach the database).
absl::StatusOr<Statement> SettingsFor(const PrincipalScope& scope) {
  if (scope.tenant_id.empty() || scope.user_id.empty()) {
    return absl::InvalidArgumentError("principal without tenant or user");
  }
  return Statement{kSetPrincipal,
                   {scope.tenant_id, scope.user_id,
                    std::string(AdminLevelName(scope.admin_level))}};
}

}  // namespace

const char* PrincipalSettingsSql() { return kSetPrincipal; }

absl::StatusOr<PrincipalTransaction> PrincipalTransaction::Begin(
    PgPool& pool, const PrincipalScope& scope) {
  RETURN_IF_ERROR(SettingsFor(scope).status());
  ASSIGN_OR_RETURN(PgLease lease, pool.Acquire());
  return PrincipalTransaction(std::move(lease), scope);
}

PrincipalTransaction::~PrincipalTransaction() {
  if (lease_.operator->() == nullptr) return;  // Moved from.
  if (begun_ && !done_) {
    if (!lease_->Execute({kRollback, {}}).ok()) lease_.Discard();
  }
}

absl::StatusOr<std::vector<PgResult>> PrincipalTransaction::Run(
    std::vector<Statement> statements) {
  return Send(std::move(statements), /*commit=*/false);
}

absl::StatusOr<std::vector<PgResult>> PrincipalTransaction::RunAndCommit(
    std::vector<Statement> statements) {
  return Send(std::move(statements), /*commit=*/true);
}

absl::Status PrincipalTransaction::Commit() {
  if (!begun_ && !done_) {
    done_ = true;
    return absl::OkStatus();
  }
  return Send({}, /*commit=*/true).status();
}

absl::StatusOr<std::vector<PgResult>> PrincipalTransaction::Send(
    std::vector<Statement> statements, bool commit) {
  if (done_) {
    return absl::FailedPreconditionError("transaction already finished");
  }
  std::vector<Statement> batch;
  batch.reserve(statements.size() + 3);
  size_t prefix = 0;
  if (!begun_) {
    ASSIGN_OR_RETURN(Statement settings, SettingsFor(scope_));
    batch.push_back({kBegin, {}});
    batch.push_back(std::move(settings));
    prefix = batch.size();
    begun_ = true;
  }
  const size_t count = statements.size();
  for (Statement& s : statements) batch.push_back(std::move(s));
  if (commit) batch.push_back({kCommit, {}});

  absl::StatusOr<std::vector<PgResult>> results =
      lease_->ExecutePipeline(batch);
  if (!results.ok()) {
    // The transaction is aborted: roll it back now so the connection goes
    // back clean (or is discarded if even that fails).
    done_ = true;
    if (lease_->IsReusable()) return results.status();
    if (!lease_->Execute({kRollback, {}}).ok() || !lease_->IsReusable()) {
      lease_.Discard();
    }
    return results.status();
  }
  if (commit) done_ = true;
  std::vector<PgResult> mine;
  mine.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    mine.push_back(std::move((*results)[prefix + i]));
  }
  return mine;
}

absl::StatusOr<std::vector<PgResult>> RunAsPrincipal(
    PgPool& pool, const PrincipalScope& scope,
    std::vector<Statement> statements) {
  std::vector<PrincipalWork> work;
  work.push_back({scope, std::move(statements)});
  ASSIGN_OR_RETURN(std::vector<std::vector<PgResult>> results,
                   RunAsPrincipals(pool, std::move(work)));
  return std::move(results[0]);
}

absl::StatusOr<std::vector<std::vector<PgResult>>> RunAsPrincipals(
    PgPool& pool, std::vector<PrincipalWork> work) {
  // No BEGIN/COMMIT: everything up to the pipeline's sync runs in one
  // implicit transaction, so the transaction-local settings cover exactly
  // these statements, vanish at the sync, and any failure rolls all of them
  // back, in one round trip.
  std::vector<Statement> batch;
  for (PrincipalWork& piece : work) {
    ASSIGN_OR_RETURN(Statement settings, SettingsFor(piece.scope));
    batch.push_back(std::move(settings));
    for (Statement& s : piece.statements) batch.push_back(std::move(s));
  }
  ASSIGN_OR_RETURN(PgLease lease, pool.Acquire());
  absl::StatusOr<std::vector<PgResult>> results = lease->ExecutePipeline(batch);
  if (!results.ok()) {
    if (!lease->IsReusable()) lease.Discard();
    return results.status();
  }
  std::vector<std::vector<PgResult>> by_piece(work.size());
  size_t next = 0;
  for (size_t i = 0; i < work.size(); ++i) {
    ++next;  // The piece's settings.
    for (size_t k = 0; k < work[i].statements.size(); ++k) {
      by_piece[i].push_back(std::move((*results)[next++]));
    }
  }
  return by_piece;
}

}  // namespace bastion::pg
