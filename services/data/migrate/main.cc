// migrate: sets up the data service's database (and, with --schema=authn or
// --schema=authz, authn's schema bastion_authn or authz's schema
// bastion_authz in the same or another database).
//
//   migrate bootstrap --conninfo=<superuser conninfo> --database=bastion
//       creates roles bastion_owner / bastion_data_svc and the database
//   migrate up     --conninfo="dbname=bastion user=bastion_owner"
//       applies pending migrations (idempotent)
//   migrate status --conninfo=...   applied and pending migrations
//   migrate list                    embedded migrations and checksums
//
// --schema=data (default) | authn | authz selects the migration set; with
// authn / authz, bootstrap also creates the role bastion_authn_svc /
// bastion_authz_svc and grants it CONNECT.
// conninfo is libpq's; PGHOST/PGPORT and friends fill in what it omits.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/pg/pg_connection.h"
#include "services/authn/migrations/migrations.h"
#include "services/authz/migrations/migrations.h"
#include "services/data/migrate/migrate.h"

ABSL_FLAG(std::string, conninfo, "",
          "libpq conninfo; for bootstrap a superuser on a maintenance "
          "database (e.g. \"dbname=postgres user=postgres\"), otherwise "
          "bastion_owner on the data database");
ABSL_FLAG(std::string, database, "bastion",
          "bootstrap: name of the database to create");
ABSL_FLAG(std::string, schema, "data",
          "migration set: data (schema bastion_data), authn (schema "
          "bastion_authn) or authz (schema bastion_authz)");

namespace migrate = ::bastion::data::migrate;

int Fail(const absl::Status& status) {
  std::cerr << "migrate: " << status << "\n";
  return 1;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "migrate bootstrap|up|status|list [--conninfo=...] [--database=...] "
      "[--schema=data|authn|authz]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << "usage: " << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  const std::string command = args[1];
  const std::string schema = absl::GetFlag(FLAGS_schema);
  if (schema != "data" && schema != "authn" && schema != "authz") {
    std::cerr << "unknown --schema " << schema << " (data, authn or authz)\n";
    return 2;
  }
  const bool authn = schema == "authn";
  const bool authz = schema == "authz";
  const std::vector<migrate::Migration>& embedded =
      authn   ? bastion::authn::migrations::EmbeddedMigrations()
      : authz ? bastion::authz::migrations::EmbeddedMigrations()
              : migrate::EmbeddedMigrations();
  const std::string history = authn   ? migrate::kAuthnHistoryTable
                              : authz ? migrate::kAuthzHistoryTable
                                      : migrate::kDataHistoryTable;
  // The service role a non-data set's bootstrap creates and grants CONNECT.
  const std::string service_role = authn   ? migrate::kAuthnServiceRole
                                   : authz ? migrate::kAuthzServiceRole
                                           : "";
  if (command == "list") {
    for (const migrate::Migration& m : embedded) {
      std::cout << m.version << " " << m.name << " "
                << migrate::Checksum(m.sql) << "\n";
    }
    return 0;
  }
  if (command != "bootstrap" && command != "up" && command != "status") {
    std::cerr << "unknown command " << command << "; usage: "
              << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  auto conn = bastion::pg::PgConnection::Connect(absl::GetFlag(FLAGS_conninfo));
  if (!conn.ok()) return Fail(conn.status());

  if (command == "bootstrap") {
    const std::string database = absl::GetFlag(FLAGS_database);
    absl::Status status = migrate::EnsureRoles(**conn);
    if (status.ok() && !service_role.empty()) {
      status = migrate::EnsureServiceRole(**conn, service_role);
    }
    if (status.ok()) status = migrate::EnsureDatabase(**conn, database);
    if (status.ok() && !service_role.empty()) {
      status = migrate::GrantConnect(**conn, database, service_role);
    }
    if (!status.ok()) return Fail(status);
    std::cout << "roles " << migrate::kOwnerRole << ", "
              << (service_role.empty() ? migrate::kServiceRole : service_role)
              << " and database " << database << " ready\n";
    return 0;
  }
  if (command == "up") {
    auto applied = migrate::ApplyMigrations(**conn, embedded, history);
    if (!applied.ok()) return Fail(applied.status());
    for (int v : *applied) std::cout << "applied " << v << "\n";
    std::cout << (applied->empty() ? "up to date" : "done") << " (version "
              << (embedded.empty() ? 0 : embedded.back().version) << ")\n";
    return 0;
  }
  auto applied = migrate::ListApplied(**conn, history);
  if (!applied.ok()) return Fail(applied.status());
  size_t i = 0;
  for (const migrate::Migration& m : embedded) {
    const bool done = i < applied->size() && (*applied)[i].version == m.version;
    std::cout << m.version << " " << m.name << " "
              << (done ? "applied " + (*applied)[i].applied_at : "pending")
              << "\n";
    if (done) ++i;
  }
  return 0;
}
