// The migration runner every service's schema goes through: roles and
// database (as a superuser), then versioned migrations (as the owning role),
// each recorded with a checksum in its set's history table. A service owns
// its SQL, its login role and its history table and hands them over as a
// MigrationSet; tools/migrate and the test database (tests/pg) apply them.
#ifndef BASTION_COMMON_PG_MIGRATE_H_
#define BASTION_COMMON_PG_MIGRATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/pg/pg_connection.h"

namespace bastion::pg {

// Owns every schema and table and runs the migrations of every set.
inline constexpr char kOwnerRole[] = "bastion_owner";

// One versioned migration: a trusted SQL script run in its own transaction.
struct Migration {
  int version;       // 1, 2, 3... (the file's NNNN)
  const char* name;  // the file's name part
  const char* sql;   // the file's text
};

// One service's schema as it hands it to the runner.
struct MigrationSet {
  // How tools/migrate names the set (--schema=NAME).
  std::string name;
  // What the service logs in as: bastion_<name>_svc, created LOGIN
  // NOINHERIT without SUPERUSER/CREATEDB/CREATEROLE/BYPASSRLS; owns nothing
  // and gets only the grants in the migrations.
  std::string service_role;
  // Where the applied versions are recorded: bastion_migrations.<table>, one
  // table per set, so the sets are versioned independently.
  std::string history_table;
  // Ordered by version, 1..N without gaps (embed_sql.sh checks the files).
  std::vector<Migration> migrations;
};

// As a superuser (or a CREATEROLE role): creates kOwnerRole (LOGIN, no
// SUPERUSER/CREATEDB/CREATEROLE/BYPASSRLS) when missing. FAILED_PRECONDITION
// when it exists with SUPERUSER or BYPASSRLS. Safe to run concurrently
// (tests do).
absl::Status EnsureOwnerRole(PgConnection& superuser);

// As a superuser: creates the service role `role` (LOGIN NOINHERIT, no
// SUPERUSER/CREATEDB/CREATEROLE/BYPASSRLS) when missing. FAILED_PRECONDITION
// when it exists with SUPERUSER or BYPASSRLS or is a member of another role;
// INVALID_ARGUMENT for a name other than bastion_<name>_svc. Safe to run
// concurrently.
absl::Status EnsureServiceRole(PgConnection& superuser,
                               const std::string& role);

// As a superuser: creates `database` (UTF8, locale C) owned by kOwnerRole
// when missing (else hands it to kOwnerRole) and revokes PUBLIC's access.
// INVALID_ARGUMENT for a name outside [a-z_][a-z0-9_]{0,62}.
absl::Status EnsureDatabase(PgConnection& superuser,
                            const std::string& database);

// As a superuser: grants CONNECT on `database` to the service role `role`.
absl::Status GrantConnect(PgConnection& superuser, const std::string& database,
                          const std::string& role);

// As a superuser: everything `set` needs before its migrations run:
// kOwnerRole, the set's service role, `database`, and CONNECT on it for
// the service role.
absl::Status Bootstrap(PgConnection& superuser, const MigrationSet& set,
                       const std::string& database);

// A migration recorded as applied.
struct AppliedMigration {
  int version = 0;
  std::string name;
  std::string checksum;  // hex sha256 of the SQL text
  std::string applied_at;
};

// Hex SHA-256 of a migration's SQL.
std::string Checksum(const char* sql);

// As kOwnerRole, connected to the target database: applies every migration
// of `set` not yet recorded in its history table, each in its own
// transaction together with its record, in version order, holding an
// advisory lock so concurrent runs serialize. Returns the versions applied
// now (empty when up to date). An applied migration whose name or checksum
// differs from the set, or an applied version the set does not know, is
// FAILED_PRECONDITION and nothing is applied. INVALID_ARGUMENT when the
// history table is not bastion_migrations.<[a-z_][a-z0-9_]*>.
absl::StatusOr<std::vector<int>> ApplyMigrations(PgConnection& owner,
                                                 const MigrationSet& set);

// The set's recorded migrations, by version (empty when none ran yet).
absl::StatusOr<std::vector<AppliedMigration>> ListApplied(
    PgConnection& owner, const MigrationSet& set);

}  // namespace bastion::pg

#endif  // BASTION_COMMON_PG_MIGRATE_H_
