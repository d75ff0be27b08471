// migrate: sets up the data service's database.
//
//   migrate bootstrap --conninfo=<superuser conninfo> --database=bastion
//       creates roles bastion_owner / bastion_data_svc and the database
//   migrate up     --conninfo="dbname=bastion user=bastion_owner"
//       applies pending migrations (idempotent)
//   migrate status --conninfo=...   applied and pending migrations
//   migrate list                    embedded migrations and checksums
//
// conninfo is libpq's; PGHOST/PGPORT and friends fill in what it omits.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/pg/pg_connection.h"
#include "services/data/migrate/migrate.h"

ABSL_FLAG(std::string, conninfo, "",
          "libpq conninfo; for bootstrap a superuser on a maintenance "
          "database (e.g. \"dbname=postgres user=postgres\"), otherwise "
          "bastion_owner on the data database");
ABSL_FLAG(std::string, database, "bastion",
          "bootstrap: name of the database to create");

namespace migrate = ::bastion::data::migrate;

int Fail(const absl::Status& status) {
  std::cerr << "migrate: " << status << "\n";
  return 1;
}

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "migrate bootstrap|up|status|list [--conninfo=...] [--database=...]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2) {
    std::cerr << "usage: " << absl::ProgramUsageMessage() << "\n";
    return 2;
  }
  const std::string command = args[1];
  const std::vector<migrate::Migration>& embedded =
      migrate::EmbeddedMigrations();
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
    absl::Status status = migrate::EnsureRoles(**conn);
    if (status.ok()) {
      status = migrate::EnsureDatabase(**conn, absl::GetFlag(FLAGS_database));
    }
    if (!status.ok()) return Fail(status);
    std::cout << "roles " << migrate::kOwnerRole << ", "
              << migrate::kServiceRole << " and database "
              << absl::GetFlag(FLAGS_database) << " ready\n";
    return 0;
  }
  if (command == "up") {
    auto applied = migrate::ApplyMigrations(**conn, embedded);
    if (!applied.ok()) return Fail(applied.status());
    for (int v : *applied) std::cout << "applied " << v << "\n";
    std::cout << (applied->empty() ? "up to date" : "done") << " (version "
              << (embedded.empty() ? 0 : embedded.back().version) << ")\n";
    return 0;
  }
  auto applied = migrate::ListApplied(**conn);
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
