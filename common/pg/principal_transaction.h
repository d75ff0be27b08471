// Runs database work as a principal: one transaction whose first statements
// set transaction-local bastion.tenant_id / bastion.user_id /
// bastion.admin_level (read by the row-level security policies), sent
// together with the work in one pipelined round trip.
#ifndef BASTION_COMMON_PG_PRINCIPAL_TRANSACTION_H_
#define BASTION_COMMON_PG_PRINCIPAL_TRANSACTION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/auth/admin_level.h"
#include "common/pg/pg_connection.h"
#include "common/pg/pg_pool.h"

namespace bastion::pg {

// How far a principal's reads and writes reach; AdminLevelName gives the
// policies' `bastion.admin_level` values.
using ::bastion::AdminLevel;
using ::bastion::AdminLevelName;

// The database-side identity of a request.
struct PrincipalScope {
  std::string tenant_id;
  std::string user_id;
  AdminLevel admin_level = AdminLevel::kNone;
};

// One transaction on one leased connection, run as a principal.
//
//   ASSIGN_OR_RETURN(PrincipalTransaction tx,
//                    PrincipalTransaction::Begin(pool, scope));
//   ASSIGN_OR_RETURN(std::vector<PgResult> r, tx.RunAndCommit({{kSql, {..}}}));
//
// Nothing is sent by Begin(): the first Run()/RunAndCommit() carries
// BEGIN + the settings (set_config(..., is_local => true), never a
// session-level SET) + its statements (+ COMMIT) in one round trip. Any
// failure aborts the transaction; an uncommitted transaction is rolled back
// when the object is destroyed. Move-only; not thread-safe.
class PrincipalTransaction {
 public:
  // INVALID_ARGUMENT for an empty tenant or user; UNAVAILABLE when no
  // connection can be had.
  static absl::StatusOr<PrincipalTransaction> Begin(PgPool& pool,
                                                    const PrincipalScope& scope);

  PrincipalTransaction(PrincipalTransaction&&) = default;
  PrincipalTransaction& operator=(PrincipalTransaction&&) = delete;
  PrincipalTransaction(const PrincipalTransaction&) = delete;
  PrincipalTransaction& operator=(const PrincipalTransaction&) = delete;
  ~PrincipalTransaction();

  // Runs `statements` in the open transaction (one round trip); one result
  // per statement.
  absl::StatusOr<std::vector<PgResult>> Run(std::vector<Statement> statements);

  // Runs `statements` and COMMIT in one round trip.
  absl::StatusOr<std::vector<PgResult>> RunAndCommit(
      std::vector<Statement> statements);

  // Commits (one round trip; none needed if nothing was sent).
  absl::Status Commit();

 private:
  PrincipalTransaction(PgLease lease, PrincipalScope scope)
      : lease_(std::move(lease)), scope_(std::move(scope)) {}
  absl::StatusOr<std::vector<PgResult>> Send(std::vector<Statement> statements,
                                             bool commit);

  PgLease lease_;
  PrincipalScope scope_;
  bool begun_ = false;
  bool done_ = false;
};

// The statement that sets the principal for one transaction ($1 tenant,
// $2 user, $3 admin level name); benchmarks replay it.
const char* PrincipalSettingsSql();

// One request as a principal, in one round trip on a pooled connection: the
// settings and `statements` in a pipeline without BEGIN/COMMIT, which
// PostgreSQL runs as one implicit transaction ending at the sync (so the
// transaction-local settings vanish there, and a failure rolls back every
// statement). Returns one result per statement.
absl::StatusOr<std::vector<PgResult>> RunAsPrincipal(
    PgPool& pool, const PrincipalScope& scope,
    std::vector<Statement> statements);

// Statements to run as one principal, in RunAsPrincipals.
struct PrincipalWork {
  PrincipalScope scope;
  std::vector<Statement> statements;
};

// Work of several principals in one round trip and one implicit
// transaction, each piece after its own principal's settings (the next
// piece's settings replace them), so the row-level security policies see
// each statement's own principal. A failure rolls back every piece.
// Returns the results of each piece, in order.
absl::StatusOr<std::vector<std::vector<PgResult>>> RunAsPrincipals(
    PgPool& pool, std::vector<PrincipalWork> work);

}  // namespace bastion::pg

#endif  // BASTION_COMMON_PG_PRINCIPAL_TRANSACTION_H_
