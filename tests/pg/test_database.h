// A fresh PostgreSQL database per test, on the throwaway cluster that
// tools/test.sh starts (tools/pg/cluster.sh) and announces through
// --test_env=BASTION_TEST_PGHOST=<socket dir> --test_env=BASTION_TEST_PGPORT=<port>.
// Test-only.
#ifndef BASTION_TESTS_PG_TEST_DATABASE_H_
#define BASTION_TESTS_PG_TEST_DATABASE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace bastion::testing {

// Owns one uniquely named database; drops it (forcibly) on destruction.
// Not thread-safe; create one per test (fixture SetUp).
class TestDatabase {
 public:
  struct Options {
    // Apply every migration as the owning role. The roles bastion_owner and
    // bastion_data_svc exist and own/reach the database either way.
    bool migrate = true;
  };

  // FAILED_PRECONDITION naming the missing variables when the environment
  // does not point at a cluster: a pg test then fails, never passes
  // silently. Use as
  //   auto db = TestDatabase::Create();
  //   ASSERT_TRUE(db.ok()) << db.status();
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      Options options);
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create() {
    return Create(Options());
  }

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  const std::string& name() const { return name_; }
  // As superuser `postgres` (bypasses row-level security: assertions only).
  std::string superuser_conninfo() const { return Conninfo("postgres"); }
  // As the owning/migration role bastion_owner.
  std::string owner_conninfo() const { return Conninfo("bastion_owner"); }
  // As the service role bastion_data_svc (what services use).
  std::string service_conninfo() const { return Conninfo("bastion_data_svc"); }
  // As any role, on this database.
  std::string Conninfo(const std::string& user) const;

 private:
  TestDatabase(std::string host, std::string port, std::string name)
      : host_(std::move(host)), port_(std::move(port)), name_(std::move(name)) {}

  std::string host_;
  std::string port_;
  std::string name_;
};

}  // namespace bastion::testing

#endif  // BASTION_TESTS_PG_TEST_DATABASE_H_
