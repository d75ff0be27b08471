// A fresh PostgreSQL database per test, on the throwaway cluster that
// tools/test.sh starts (tools/pg/cluster.sh) and announces through
// --test_env=BASTION_TEST_PGHOST=<socket dir> --test_env=BASTION_TEST_PGPORT=<port>.
// Test-only.
#ifndef BASTION_TESTS_PG_TEST_DATABASE_H_
#define BASTION_TESTS_PG_TEST_DATABASE_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/pg/migrate.h"

namespace bastion::testing {

// Owns one uniquely named database; drops it (forcibly) on destruction.
// Not thread-safe; create one per test (fixture SetUp).
class TestDatabase {
 public:
  struct Options {
    // Apply the set's migrations as the owning role. The owner role and the
    // set's service role exist and own/reach the database either way.
    bool migrate = true;
  };

  // A database for one service's schema: bootstrapped for `set` (owner
  // role, service role, CONNECT) and, by default, migrated.
  // FAILED_PRECONDITION naming the missing variables when the environment
  // does not point at a cluster: a pg test then fails, never passes
  // silently. Use as
  //   auto db = TestDatabase::Create(data::DataMigrations());
  //   ASSERT_TRUE(db.ok()) << db.status();
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      const pg::MigrationSet& set, Options options);
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      const pg::MigrationSet& set) {
    return Create(set, Options());
  }
  // A database owned by bastion_owner with no schema and no service role:
  // for tests of common/pg itself. service_conninfo() is empty.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> CreateEmpty();

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  const std::string& name() const { return name_; }
  // As superuser `postgres` (bypasses row-level security: assertions only).
  std::string superuser_conninfo() const { return Conninfo("postgres"); }
  // As the owning/migration role bastion_owner.
  std::string owner_conninfo() const { return Conninfo(pg::kOwnerRole); }
  // As the set's service role (what the service logs in as); empty for a
  // database made by CreateEmpty().
  std::string service_conninfo() const {
    return service_role_.empty() ? "" : Conninfo(service_role_);
  }
  // As any role, on this database.
  std::string Conninfo(const std::string& user) const;

 private:
  TestDatabase(std::string host, std::string port, std::string name,
               std::string service_role)
      : host_(std::move(host)),
        port_(std::move(port)),
        name_(std::move(name)),
        service_role_(std::move(service_role)) {}

  // Creates the database; with `set`, bootstraps and (per `options`)
  // migrates it for that set.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> CreateFor(
      const pg::MigrationSet* set, Options options);

  std::string host_;
  std::string port_;
  std::string name_;
  std::string service_role_;
};

}  // namespace bastion::testing

#endif  // BASTION_TESTS_PG_TEST_DATABASE_H_
