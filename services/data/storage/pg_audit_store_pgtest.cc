// PgAuditStore against a real PostgreSQL: admin reads are recorded, and
// each principal sees only the audit rows it may.
#include "services/data/storage/pg_audit_store.h"

#include <string>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;

class PgAuditStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    sessions_ = std::make_unique<PgSessions>(*pool_);
    audit_ = std::make_unique<PgAuditLog>(*pool_);
    v1::ListSessionsRequest list;
    list.set_user_id("alice");
    ASSERT_THAT(sessions_->ListSessions(t1_admin_, list), IsOk());
    ASSERT_THAT(sessions_->ListSessions(t2_admin_, list), IsOk());
    ASSERT_THAT(sessions_->ListSessions(alice_, list), IsOk());
  }

  int Count(const Caller& p, const std::string& user = "") {
    v1::ListAuditEventsRequest r;
    r.set_user_id(user);
    r.set_action("sessions.list");
    auto out = audit_->ListAuditEvents(p, r);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? out->events_size() : -1;
  }

  std::unique_ptr<PgSessions> sessions_;
  std::unique_ptr<PgAuditLog> audit_;
};

TEST_F(PgAuditStoreTest, AdminReadsAreRecordedAndScoped) {
  v1::ListAuditEventsRequest r;
  r.set_action("sessions.list");
  auto t1 = audit_->ListAuditEvents(t1_admin_, r);
  ASSERT_THAT(t1, IsOk());
  ASSERT_EQ(t1->events_size(), 1);
  EXPECT_EQ(t1->events(0).user_id(), "admin1");
  EXPECT_EQ(t1->events(0).target_user_id(), "alice");
  EXPECT_EQ(t1->events(0).admin_level(), "tenant");
  EXPECT_EQ(Count(t2_admin_), 1);   // Its own tenant only.
  EXPECT_EQ(Count(alice_), 0);      // Non-admin reads are not audit events.
  EXPECT_EQ(Count(alice_, "admin1"), 0);  // Filter ignored: own actions only.
  EXPECT_EQ(Count(platform_), 2);
}

}  // namespace
}  // namespace bastion::data::storage
