// Test fixture for the data domain over the PostgreSQL stores: a migrated
// database per test, a pool connected as the service role, callers as the
// guard hands them over, and each domain over its store. Test-only.
#ifndef BASTION_SERVICES_DATA_STORAGE_STORE_TEST_SUPPORT_H_
#define BASTION_SERVICES_DATA_STORAGE_STORE_TEST_SUPPORT_H_

#include <initializer_list>
#include <memory>
#include <string>

#include "bastion/common/v1/common.pb.h"
#include "common/auth/caller.h"
#include "common/pg/pg_connection.h"
#include "common/pg/pg_pool.h"
#include "gtest/gtest.h"
#include "services/data/domain/approvals.h"
#include "services/data/domain/audit.h"
#include "services/data/domain/memories.h"
#include "services/data/domain/runs.h"
#include "services/data/domain/schedules.h"
#include "services/data/domain/sessions.h"
#include "services/data/domain/traces.h"
#include "services/data/migrations/migrations.h"
#include "services/data/storage/pg_approval_store.h"
#include "services/data/storage/pg_audit_store.h"
#include "services/data/storage/pg_memory_store.h"
#include "services/data/storage/pg_run_store.h"
#include "services/data/storage/pg_schedule_store.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/pg_trace_store.h"
#include "tests/pg/test_database.h"

namespace bastion::data::storage {

// A caller as the guard hands it over: the principal authn verified, with
// the admin level and approver flag authz decided for it.
inline Caller MakeCaller(const std::string& tenant, const std::string& subject,
                         std::initializer_list<const char*> scopes = {},
                         AdminLevel level = AdminLevel::kNone,
                         bool approver = false) {
  Caller caller;
  caller.principal.set_tenant_id(tenant);
  caller.principal.set_subject(subject);
  for (const char* s : scopes) caller.principal.add_scopes(s);
  caller.principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  caller.admin_level = level;
  caller.approver = approver;
  return caller;
}

// Holds the store a domain object works on, constructed before it.
template <typename Store>
struct StoreOf {
  explicit StoreOf(pg::PgPool& pool) : store(pool) {}
  Store store;
};

// A domain object over its own PostgreSQL store.
template <typename Domain, typename Store>
class Over : private StoreOf<Store>, public Domain {
 public:
  explicit Over(pg::PgPool& pool)
      : StoreOf<Store>(pool), Domain(this->store) {}
};

using PgSessions = Over<domain::Sessions, PgSessionStore>;
using PgMemories = Over<domain::Memories, PgMemoryStore>;
using PgTraces = Over<domain::Traces, PgTraceStore>;
using PgRuns = Over<domain::Runs, PgRunStore>;
using PgApprovals = Over<domain::Approvals, PgApprovalStore>;
using PgSchedules = Over<domain::Schedules, PgScheduleStore>;
using PgAuditLog = Over<domain::AuditLog, PgAuditStore>;

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

  // Admin levels as authz decides them (the scopes are what tokens carry).
  const Caller alice_ = MakeCaller("t1", "alice");
  const Caller bob_ = MakeCaller("t1", "bob");
  const Caller carol_ = MakeCaller("t2", "carol");
  const Caller t1_admin_ =
      MakeCaller("t1", "admin1", {"agent_os:admin"}, AdminLevel::kTenant);
  const Caller t2_admin_ =
      MakeCaller("t2", "admin2", {"agent_os:admin"}, AdminLevel::kTenant);
  const Caller platform_ = MakeCaller("t0", "root", {"bastion:platform_admin"},
                                      AdminLevel::kPlatform);
  // The scheduler: run-executor's own call as a service, as the guard hands
  // it over for a service-only method.
  const Caller scheduler_ = [] {
    Caller caller = MakeCaller(kServiceTenant, "service:run_executor");
    caller.admin_level = std::nullopt;
    caller.calling_service = "service:run_executor";
    return caller;
  }();

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
};

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_STORE_TEST_SUPPORT_H_
