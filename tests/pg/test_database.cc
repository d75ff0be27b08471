// A fresh database per test; see test_database.h.
#include "tests/pg/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/pg/migrate.h"
#include "common/pg/pg_connection.h"
#include "common/status/status_macros.h"

namespace bastion::testing {
namespace {

constexpr char kHostVar[] = "BASTION_TEST_PGHOST";
constexpr char kPortVar[] = "BASTION_TEST_PGPORT";

// A conninfo value in single quotes (libpq's escaping rules).
std::string Quote(const std::string& value) {
  return absl::StrCat(
      "'", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"'", "\\'"}}), "'");
}

std::string MakeConninfo(const std::string& host, const std::string& port,
                         const std::string& db, const std::string& user) {
  return absl::StrCat("host=", Quote(host), " port=", Quote(port),
                      " dbname=", Quote(db), " user=", Quote(user),
                      " connect_timeout=10 application_name=bastion_test");
}

std::string UniqueName() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return absl::StrCat("bastion_test_", getpid(), "_", counter.fetch_add(1),
                      "_", absl::Hex(rd(), absl::kZeroPad8));
}

// Identifiers cannot be parameters; the name is generated above from
// [a-z0-9_] only, and quoted anyway.
std::string QuoteIdent(pg::PgConnection& conn, const std::string& ident) {
  char* quoted =
      PQescapeIdentifier(conn.raw(), ident.data(), ident.size());
  std::string out = quoted != nullptr ? quoted : "\"invalid\"";
  PQfreemem(quoted);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    const pg::MigrationSet& set, Options options) {
  return CreateFor(&set, options);
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::CreateEmpty() {
  return CreateFor(/*set=*/nullptr, Options());
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::CreateFor(
    const pg::MigrationSet* set, Options options) {
  const char* host = std::getenv(kHostVar);
  const char* port = std::getenv(kPortVar);
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        "this is a PostgreSQL test (*_pgtest) and ", kHostVar, "/", kPortVar,
        " are not set. Run tools/test.sh, or start a cluster with "
        "`tools/pg/cluster.sh start /tmp/pgdev` and pass "
        "--test_env=", kHostVar, "=<PGHOST> --test_env=", kPortVar,
        "=<PGPORT> to bazel test."));
  }
  const std::string name = UniqueName();
  {
    absl::StatusOr<std::unique_ptr<pg::PgConnection>> admin =
        pg::PgConnection::Connect(
            MakeConninfo(host, port, "postgres", "postgres"));
    if (!admin.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "cannot reach the test cluster at ", host, " port ", port,
          " (is it running?): ", admin.status().message()));
    }
    if (set != nullptr) {
      RETURN_IF_ERROR(pg::Bootstrap(**admin, *set, name));
    } else {
      RETURN_IF_ERROR(pg::EnsureOwnerRole(**admin));
      RETURN_IF_ERROR(pg::EnsureDatabase(**admin, name));
    }
  }
  std::unique_ptr<TestDatabase> db(new TestDatabase(
      host, port, name, set != nullptr ? set->service_role : ""));
  if (set != nullptr && options.migrate) {
    ASSIGN_OR_RETURN(std::unique_ptr<pg::PgConnection> owner,
                     pg::PgConnection::Connect(db->owner_conninfo()));
    RETURN_IF_ERROR(pg::ApplyMigrations(*owner, *set).status());
  }
  return db;
}

TestDatabase::~TestDatabase() {
  absl::StatusOr<std::unique_ptr<pg::PgConnection>> admin =
      pg::PgConnection::Connect(
          MakeConninfo(host_, port_, "postgres", "postgres"));
  if (!admin.ok()) {
    std::cerr << "TestDatabase: cannot drop " << name_ << ": "
              << admin.status() << "\n";
    return;
  }
  const std::string drop = absl::StrCat(
      "DROP DATABASE IF EXISTS ", QuoteIdent(**admin, name_), " WITH (FORCE)");
  absl::Status status = (*admin)->ExecuteScript(drop.c_str());
  if (!status.ok()) {
    std::cerr << "TestDatabase: dropping " << name_ << ": " << status << "\n";
  }
}

std::string TestDatabase::Conninfo(const std::string& user) const {
  return MakeConninfo(host_, port_, name_, user);
}

}  // namespace bastion::testing
