// The migration runner; see migrate.h.
#include "common/pg/migrate.h"

#include <openssl/evp.h>

#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status/status_macros.h"

namespace bastion::pg {
namespace {

// The role name is kOwnerRole.
constexpr char kEnsureOwnerRole[] = R"sql(
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bastion_owner') THEN
    CREATE ROLE bastion_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
      NOBYPASSRLS;
  END IF;
END
$$)sql";

constexpr char kUnsafeOwnerRole[] = R"sql(
SELECT 1 FROM pg_roles
 WHERE rolname = 'bastion_owner' AND (rolsuper OR rolbypassrls))sql";

constexpr char kDatabaseExists[] =
    "SELECT 1 FROM pg_database WHERE datname = $1";

// $TABLE is a set's history table, checked by CheckHistoryTable.
constexpr char kCreateBookkeeping[] = R"sql(
CREATE SCHEMA IF NOT EXISTS bastion_migrations;
REVOKE ALL ON SCHEMA bastion_migrations FROM PUBLIC;
CREATE TABLE IF NOT EXISTS $TABLE (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

// Advisory locks are per database, so migrating one database never waits
// for another; every schema's set in one database shares the lock.
constexpr char kLock[] = "SELECT pg_advisory_lock(7306589125412925293)";
constexpr char kUnlock[] = "SELECT pg_advisory_unlock(7306589125412925293)";

constexpr char kListApplied[] =
    "SELECT version, name, checksum, applied_at::text"
    " FROM $TABLE ORDER BY version";
constexpr char kBookkeepingExists[] =
    "SELECT to_regclass($1) IS NOT NULL";
constexpr char kRecord[] =
    "INSERT INTO $TABLE (version, name, checksum)"
    " VALUES ($1::int, $2, $3)";
constexpr char kRoleExists[] = "SELECT 1 FROM pg_roles WHERE rolname = $1";
constexpr char kUnsafeRole[] = R"sql(
SELECT 1 FROM pg_roles r
 WHERE r.rolname = $1
   AND (r.rolsuper OR r.rolbypassrls
        OR EXISTS (SELECT FROM pg_auth_members m WHERE m.member = r.oid)))sql";
constexpr char kBegin[] = "BEGIN";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";

// [a-z_][a-z0-9_]{0,62}: a database or table name put into SQL text.
bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return true;
}

// Identifiers cannot be bound as parameters: validated above, then quoted
// by libpq.
std::string QuoteIdent(PgConnection& conn, const std::string& ident) {
  char* quoted = PQescapeIdentifier(conn.raw(), ident.data(), ident.size());
  std::string out = quoted != nullptr ? quoted : "";
  PQfreemem(quoted);
  return out;
}

absl::Status Annotate(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

// bastion_migrations.<name>: the name is put into SQL text.
absl::Status CheckHistoryTable(const std::string& table) {
  constexpr absl::string_view kSchema = "bastion_migrations.";
  absl::string_view name = table;
  if (absl::ConsumePrefix(&name, kSchema) && ValidName(name)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "migration history table must be bastion_migrations.<name>: ", table));
}

// SQL text with $TABLE replaced by a checked history table name.
std::string WithTable(const char* sql, const std::string& table) {
  return absl::StrReplaceAll(sql, {{"$TABLE", table}});
}

bool ValidServiceRoleName(const std::string& role) {
  if (role.size() < 13 || role.size() > 63) return false;
  if (role.rfind("bastion_", 0) != 0) return false;
  if (role.compare(role.size() - 4, 4, "_svc") != 0) return false;
  for (char c : role) {
    if (!(c == '_' || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

}  // namespace

std::string Checksum(const char* sql) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(sql, std::strlen(sql), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

absl::Status EnsureOwnerRole(PgConnection& superuser) {
  // Concurrent CREATE ROLE of the same name can fail in the loser; the
  // retry then finds the role.
  absl::Status status;
  for (int attempt = 0; attempt < 5; ++attempt) {
    status = superuser.ExecuteScript(kEnsureOwnerRole);
    if (status.ok()) break;
    absl::SleepFor(absl::Milliseconds(20 * (attempt + 1)));
  }
  if (!status.ok()) return Annotate(status, "creating role bastion_owner");
  ASSIGN_OR_RETURN(PgResult unsafe, superuser.Execute({kUnsafeOwnerRole, {}}));
  if (unsafe.rows() > 0) {
    return absl::FailedPreconditionError(
        "role bastion_owner exists with SUPERUSER or BYPASSRLS; fix it by "
        "hand, the owner must be bound by row-level security");
  }
  return absl::OkStatus();
}

absl::Status EnsureDatabase(PgConnection& superuser,
                            const std::string& database) {
  if (!ValidName(database)) {
    return absl::InvalidArgumentError(
        absl::StrCat("database name must match [a-z_][a-z0-9_]{0,62}: ",
                     database));
  }
  const std::string ident = QuoteIdent(superuser, database);
  ASSIGN_OR_RETURN(PgResult exists,
                   superuser.Execute({kDatabaseExists, {database}}));
  if (exists.rows() == 0) {
    const std::string create = absl::StrCat(
        "CREATE DATABASE ", ident,
        " OWNER bastion_owner TEMPLATE template0 ENCODING 'UTF8'"
        " LC_COLLATE 'C' LC_CTYPE 'C'");
    RETURN_IF_ERROR(Annotate(superuser.ExecuteScript(create.c_str()),
                             "creating database"));
  } else {
    const std::string owner =
        absl::StrCat("ALTER DATABASE ", ident, " OWNER TO bastion_owner");
    RETURN_IF_ERROR(Annotate(superuser.ExecuteScript(owner.c_str()),
                             "changing database owner"));
  }
  const std::string revoke =
      absl::StrCat("REVOKE ALL ON DATABASE ", ident, " FROM PUBLIC");
  return Annotate(superuser.ExecuteScript(revoke.c_str()),
                  "revoking public database access");
}

absl::Status EnsureServiceRole(PgConnection& superuser,
                               const std::string& role) {
  if (!ValidServiceRoleName(role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service role must match bastion_[a-z_]+_svc: ", role));
  }
  const std::string create = absl::StrCat(
      "CREATE ROLE ", QuoteIdent(superuser, role),
      " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT");
  absl::Status status;
  // A concurrent CREATE ROLE of the same name fails in the loser; the retry
  // then finds the role.
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<PgResult> exists =
        superuser.Execute({kRoleExists, {role}});
    status = exists.status();
    if (status.ok()) {
      if (exists->rows() > 0) break;
      status = superuser.ExecuteScript(create.c_str());
      if (status.ok()) break;
    }
    absl::SleepFor(absl::Milliseconds(20 * (attempt + 1)));
  }
  if (!status.ok()) return Annotate(status, "creating role " + role);
  ASSIGN_OR_RETURN(PgResult unsafe, superuser.Execute({kUnsafeRole, {role}}));
  if (unsafe.rows() > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "role ", role,
        " exists with SUPERUSER, BYPASSRLS or role memberships; fix it by "
        "hand, a service must not bypass row-level security"));
  }
  return absl::OkStatus();
}

absl::Status GrantConnect(PgConnection& superuser,
                          const std::string& database,
                          const std::string& role) {
  if (!ValidName(database) || !ValidServiceRoleName(role)) {
    return absl::InvalidArgumentError("invalid database or role name");
  }
  const std::string grant =
      absl::StrCat("GRANT CONNECT ON DATABASE ", QuoteIdent(superuser, database),
                   " TO ", QuoteIdent(superuser, role));
  return Annotate(superuser.ExecuteScript(grant.c_str()),
                  "granting database access");
}

absl::Status Bootstrap(PgConnection& superuser, const MigrationSet& set,
                       const std::string& database) {
  RETURN_IF_ERROR(EnsureOwnerRole(superuser));
  RETURN_IF_ERROR(EnsureServiceRole(superuser, set.service_role));
  RETURN_IF_ERROR(EnsureDatabase(superuser, database));
  return GrantConnect(superuser, database, set.service_role);
}

namespace {

// ListApplied once the history table's name is checked.
absl::StatusOr<std::vector<AppliedMigration>> ListAppliedIn(
    PgConnection& owner, const std::string& history_table) {
  ASSIGN_OR_RETURN(PgResult exists,
                   owner.Execute({kBookkeepingExists, {history_table}}));
  std::vector<AppliedMigration> applied;
  if (exists.Get(0, 0) != "t") return applied;
  const std::string list = WithTable(kListApplied, history_table);
  ASSIGN_OR_RETURN(PgResult rows, owner.Execute({list.c_str(), {}}));
  for (int i = 0; i < rows.rows(); ++i) {
    AppliedMigration m;
    m.version = std::stoi(std::string(rows.Get(i, 0)));
    m.name = std::string(rows.Get(i, 1));
    m.checksum = std::string(rows.Get(i, 2));
    m.applied_at = std::string(rows.Get(i, 3));
    applied.push_back(std::move(m));
  }
  return applied;
}

absl::StatusOr<std::vector<int>> ApplyLocked(
    PgConnection& owner, const std::vector<Migration>& migrations,
    const std::string& history_table) {
  const std::string create = WithTable(kCreateBookkeeping, history_table);
  RETURN_IF_ERROR(Annotate(owner.ExecuteScript(create.c_str()),
                           absl::StrCat("creating ", history_table)));
  ASSIGN_OR_RETURN(std::vector<AppliedMigration> applied,
                   ListAppliedIn(owner, history_table));
  const std::string record = WithTable(kRecord, history_table);
  std::map<int, const Migration*> known;
  for (const Migration& m : migrations) known[m.version] = &m;
  std::map<int, bool> done;
  for (const AppliedMigration& a : applied) {
    auto it = known.find(a.version);
    if (it == known.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database has migration ", a.version, " (", a.name,
          ") which this binary does not know; use a newer migrate"));
    }
    if (a.name != it->second->name || a.checksum != Checksum(it->second->sql)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", a.version, " (", a.name,
          ") was changed after it was applied (checksum ", a.checksum,
          " in the database, ", Checksum(it->second->sql),
          " now); add a new migration instead"));
    }
    done[a.version] = true;
  }
  std::vector<int> now;
  for (const Migration& m : migrations) {
    if (done.count(m.version) > 0) continue;
    const std::string what =
        absl::StrCat("migration ", m.version, " (", m.name, ")");
    absl::Status status = owner.ExecuteScript(kBegin);
    if (status.ok()) status = owner.ExecuteScript(m.sql);
    if (status.ok()) {
      status = owner
                   .Execute({record.c_str(),
                             {std::to_string(m.version), std::string(m.name),
                              Checksum(m.sql)}})
                   .status();
    }
    if (status.ok()) status = owner.ExecuteScript(kCommit);
    if (!status.ok()) {
      (void)owner.ExecuteScript(kRollback);
      return Annotate(status, absl::StrCat(what, " failed (see log)"));
    }
    now.push_back(m.version);
  }
  return now;
}

}  // namespace

absl::StatusOr<std::vector<AppliedMigration>> ListApplied(
    PgConnection& owner, const MigrationSet& set) {
  RETURN_IF_ERROR(CheckHistoryTable(set.history_table));
  return ListAppliedIn(owner, set.history_table);
}

absl::StatusOr<std::vector<int>> ApplyMigrations(PgConnection& owner,
                                                 const MigrationSet& set) {
  RETURN_IF_ERROR(CheckHistoryTable(set.history_table));
  RETURN_IF_ERROR(owner.Execute({kLock, {}}).status());
  absl::StatusOr<std::vector<int>> result =
      ApplyLocked(owner, set.migrations, set.history_table);
  (void)owner.Execute({kUnlock, {}});
  return result;
}

}  // namespace bastion::pg
