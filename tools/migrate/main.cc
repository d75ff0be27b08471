// migrate: sets up one service's schema: the data service's (bastion_data,
// the default), authn's (bastion_authn) or authz's (bastion_authz), in the
// same or separate databases.
//
//   migrate [--schema=data|authn|authz] bootstrap
//       --conninfo=<superuser conninfo> --database=bastion
//       creates the roles bastion_owner and the schema's service role
//       (bastion_<schema>_svc), the database, and CONNECT for that role
//   migrate [--schema=...] up --conninfo="dbname=bastion user=bastion_owner"
//       applies the schema's pending migrations (idempotent)
//   migrate [--schema=...] status --conninfo=...   applied and pending
//   migrate [--schema=...] list                    embedded migrations
//
// conninfo is libpq's; PGHOST/PGPORT and friends fill in what it omits.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/pg/migrate.h"
#include "common/pg/pg_connection.h"
#include "services/authn/migrations/migrations.h"
#include "services/authz/migrations/migrations.h"
#include "services/data/migrations/migrations.h"

ABSL_FLAG(std::string, conninfo, "",
          "libpq conninfo; for bootstrap a superuser on a maintenance "
          "database (e.g. \"dbname=postgres user=postgres\"), otherwise "
          "bastion_owner on the target database");
ABSL_FLAG(std::string, database, "bastion",
          "bootstrap: name of the database to create");
ABSL_FLAG(std::string, schema, "data",
          "migration set: data (schema bastion_data), authn (schema "
          "bastion_authn) or authz (schema bastion_authz)");

namespace {

namespace pg = ::bastion::pg;

int Fail(const absl::Status& status) {
  std::cerr << "migrate: " << status << "\n";
  return 1;
}

// The set named by --schema, or nullptr.
const pg::MigrationSet* FindSet(const std::string& name) {
  for (const pg::MigrationSet* set :
       {&bastion::data::DataMigrations(), &bastion::authn::AuthnMigrations(),
        &bastion::authz::AuthzMigrations()}) {
    if (set->name == name) return set;
  }
  return nullptr;
}

}  // namespace

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
  const pg::MigrationSet* set = FindSet(absl::GetFlag(FLAGS_schema));
  if (set == nullptr) {
    std::cerr << "unknown --schema " << absl::GetFlag(FLAGS_schema)
              << " (data, authn or authz)\n";
    return 2;
  }
  if (command == "list") {
    for (const pg::Migration& m : set->migrations) {
      std::cout << m.version << " " << m.name << " " << pg::Checksum(m.sql)
                << "\n";
    }
    return 0;
  }
  if (command != "bootstrap" && command != "up" && command != "status") {
    std::cerr << "unknown command " << command << "; usage: "
              << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  auto conn = pg::PgConnection::Connect(absl::GetFlag(FLAGS_conninfo));
  if (!conn.ok()) return Fail(conn.status());

  if (command == "bootstrap") {
    const std::string database = absl::GetFlag(FLAGS_database);
    absl::Status status = pg::Bootstrap(**conn, *set, database);
    if (!status.ok()) return Fail(status);
    std::cout << "roles " << pg::kOwnerRole << ", " << set->service_role
              << " and database " << database << " ready\n";
    return 0;
  }
  if (command == "up") {
    auto applied = pg::ApplyMigrations(**conn, *set);
    if (!applied.ok()) return Fail(applied.status());
    for (int v : *applied) std::cout << "applied " << v << "\n";
    std::cout << (applied->empty() ? "up to date" : "done") << " (version "
              << (set->migrations.empty() ? 0 : set->migrations.back().version)
              << ")\n";
    return 0;
  }
  auto applied = pg::ListApplied(**conn, *set);
  if (!applied.ok()) return Fail(applied.status());
  size_t i = 0;
  for (const pg::Migration& m : set->migrations) {
    const bool done = i < applied->size() && (*applied)[i].version == m.version;
    std::cout << m.version << " " << m.name << " "
              << (done ? "applied " + (*applied)[i].applied_at : "pending")
              << "\n";
    if (done) ++i;
  }
  return 0;
}
