// Test fixture for the PostgreSQL stores: a migrated database per test and
// a pool connected as the service role. Test-only.
#ifndef BASTION_SERVICES_DATA_STORAGE_STORE_TEST_SUPPORT_H_
#define BASTION_SERVICES_DATA_STORAGE_STORE_TEST_SUPPORT_H_

#include <initializer_list>
#include <memory>
#include <string>

#include "bastion/common/v1/common.pb.h"
#include "common/pg/pg_connection.h"
#include "common/pg/pg_pool.h"
#include "gtest/gtest.h"
#include "services/data/migrations/migrations.h"
#include "tests/pg/test_database.h"

namespace bastion::data::storage {

// A principal as authn would produce it.
inline common::v1::Principal MakePrincipal(
    const std::string& tenant, const std::string& subject,
    std::initializer_list<const char*> scopes = {}) {
  common::v1::Principal p;
  p.set_tenant_id(tenant);
  p.set_subject(subject);
  for (const char* s : scopes) p.add_scopes(s);
  p.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  return p;
}

class StoreTest : public ::testing::Test {
 protected:
  // One connection by default, so every request shares it: a principal
  // leaking into the next request would show.
  virtual int PoolSize() const { return 1; }

  void SetUp() override {
    auto db = testing::TestDatabase::Create(DataMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pg::PgPoolOptions options;
    options.conninfo = db_->service_conninfo();
    options.max_size = PoolSize();
    pool_ = std::make_unique<pg::PgPool>(options);
  }

  // Runs SQL as the superuser (bypasses row-level security) and returns
  // the first column of the first row; for assertions only.
  std::string SuperuserScalar(const char* sql) {
    auto conn = pg::PgConnection::Connect(db_->superuser_conninfo());
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return "<no connection>";
    auto r = (*conn)->Execute({sql, {}});
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || r->rows() == 0) return "<none>";
    return std::string(r->Get(0, 0));
  }

  // Runs a multi-statement script as the superuser (e.g. to simulate
  // tampering that bypasses every defence).
  void SuperuserScript(const char* sql) {
    auto conn = pg::PgConnection::Connect(db_->superuser_conninfo());
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE((*conn)->ExecuteScript(sql).ok()) << sql;
  }

  const common::v1::Principal alice_ = MakePrincipal("t1", "alice");
  const common::v1::Principal bob_ = MakePrincipal("t1", "bob");
  const common::v1::Principal carol_ = MakePrincipal("t2", "carol");
  const common::v1::Principal t1_admin_ =
      MakePrincipal("t1", "admin1", {"agent_os:admin"});
  const common::v1::Principal t2_admin_ =
      MakePrincipal("t2", "admin2", {"agent_os:admin"});
  const common::v1::Principal platform_ =
      MakePrincipal("t0", "root", {"bastion:platform_admin"});

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_STORE_TEST_SUPPORT_H_
