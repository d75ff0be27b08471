// Database setup for the data service: roles and database (as a superuser),
// then versioned migrations (as the owning role), recorded in
// bastion_migrations.schema_migrations with a checksum each.
#ifndef BASTION_SERVICES_DATA_MIGRATE_MIGRATE_H_
#define BASTION_SERVICES_DATA_MIGRATE_MIGRATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/pg/pg_connection.h"
#include "services/data/migrate/migrations.h"

namespace bastion::data::migrate {

// Owns the schema, the tables and runs migrations.
inline constexpr char kOwnerRole[] = "bastion_owner";
// What the data service logs in as: owns nothing, no BYPASSRLS.
inline constexpr char kServiceRole[] = "bastion_data_svc";
// What authn logs in as (its own schema bastion_authn, migrated by
// `migrate --schema=authn`): owns nothing, no BYPASSRLS.
inline constexpr char kAuthnServiceRole[] = "bastion_authn_svc";
// What authz logs in as (its own schema bastion_authz, migrated by
// `migrate --schema=authz`): owns nothing, no BYPASSRLS.
inline constexpr char kAuthzServiceRole[] = "bastion_authz_svc";

// Each schema's migration set records what ran in its own history table, so
// the sets are versioned independently (1, 2, 3... each). The data set keeps
// the original table.
inline constexpr char kDataHistoryTable[] =
    "bastion_migrations.schema_migrations";
inline constexpr char kAuthnHistoryTable[] =
    "bastion_migrations.authn_schema_migrations";
inline constexpr char kAuthzHistoryTable[] =
    "bastion_migrations.authz_schema_migrations";

// As a superuser (or a CREATEROLE role): creates kOwnerRole and
// kServiceRole (LOGIN, no SUPERUSER/CREATEDB/CREATEROLE/BYPASSRLS) when
// missing. FAILED_PRECONDITION when either exists with SUPERUSER or
// BYPASSRLS, or the service role is a member of another role. Safe to run
// concurrently (tests do).
absl::Status EnsureRoles(pg::PgConnection& superuser);

// As a superuser: creates the service role `role` (LOGIN NOINHERIT, no
// SUPERUSER/CREATEDB/CREATEROLE/BYPASSRLS) when missing. FAILED_PRECONDITION
// when it exists with SUPERUSER or BYPASSRLS or is a member of another role;
// INVALID_ARGUMENT for a name other than bastion_<name>_svc. Safe to run
// concurrently.
absl::Status EnsureServiceRole(pg::PgConnection& superuser,
                               const std::string& role);

// As a superuser: grants CONNECT on `database` to the service role `role`.
absl::Status GrantConnect(pg::PgConnection& superuser,
                          const std::string& database, const std::string& role);

// As a superuser: creates `database` (UTF8, locale C) owned by kOwnerRole
// when missing (else hands it to kOwnerRole), revokes PUBLIC's access and
// grants CONNECT to kServiceRole. INVALID_ARGUMENT for a name outside
// [a-z_][a-z0-9_]{0,62}.
absl::Status EnsureDatabase(pg::PgConnection& superuser,
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
// not yet recorded, each in its own transaction together with its record,
// in version order, holding an advisory lock so concurrent runs serialize.
// Returns the versions applied now (empty when up to date). An applied
// migration whose name or checksum differs from `migrations`, or an applied
// version this binary does not know, is FAILED_PRECONDITION and nothing is
// applied.
absl::StatusOr<std::vector<int>> ApplyMigrations(
    pg::PgConnection& owner, const std::vector<Migration>& migrations);
// The same for another schema's set, recorded in `history_table` (one of
// the k*HistoryTable constants; INVALID_ARGUMENT otherwise).
absl::StatusOr<std::vector<int>> ApplyMigrations(
    pg::PgConnection& owner, const std::vector<Migration>& migrations,
    const std::string& history_table);

// The recorded migrations, by version (empty when none ran yet).
absl::StatusOr<std::vector<AppliedMigration>> ListApplied(
    pg::PgConnection& owner);
absl::StatusOr<std::vector<AppliedMigration>> ListApplied(
    pg::PgConnection& owner, const std::string& history_table);

}  // namespace bastion::data::migrate

#endif  // BASTION_SERVICES_DATA_MIGRATE_MIGRATE_H_
