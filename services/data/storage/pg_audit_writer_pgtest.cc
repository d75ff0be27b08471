// Tests that appended audit events are checked by the audit domain, stored
// by PgAuditWriter, visible to the tenant's admin through the audit log,
// and all-or-nothing.
#include "services/data/storage/pg_audit_writer.h"

#include <vector>

#include "absl/time/clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/migrations/migrations.h"
#include "services/data/domain/audit.h"
#include "services/data/storage/store_test_support.h"
#include "tests/pg/test_database.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

v1::AuditEvent Denial(const std::string& tenant, const std::string& user) {
  v1::AuditEvent event;
  event.set_tenant_id(tenant);
  event.set_user_id(user);
  event.set_action("denied.permission");
  event.set_resource("sessions");
  event.set_detail_json(R"({"method":"bastion.data.v1.Sessions/GetSession"})");
  return event;
}

google::protobuf::RepeatedPtrField<v1::AuditEvent> Batch(
    const std::vector<v1::AuditEvent>& events) {
  return {events.begin(), events.end()};
}

Caller Admin(const std::string& tenant) {
  return MakeCaller(tenant, "root", {}, AdminLevel::kTenant);
}

class PgAuditWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<bastion::testing::TestDatabase>> db =
        bastion::testing::TestDatabase::Create(DataMigrations());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    pg::PgPoolOptions options;
    options.conninfo = db_->service_conninfo();
    pool_ = std::make_unique<pg::PgPool>(options);
  }

  size_t VisibleDenials(const std::string& tenant) {
    PgAuditLog store(*pool_);
    absl::StatusOr<v1::ListAuditEventsResponse> listed =
        store.ListAuditEvents(Admin(tenant), v1::ListAuditEventsRequest());
    EXPECT_THAT(listed, IsOk());
    // Admin reads are audited themselves: count only the appended denials.
    size_t denials = 0;
    if (listed.ok()) {
      for (const v1::AuditEvent& event : listed->events()) {
        denials += event.action() == "denied.permission";
      }
    }
    return denials;
  }

  std::unique_ptr<bastion::testing::TestDatabase> db_;
  std::unique_ptr<pg::PgPool> pool_;
};

TEST_F(PgAuditWriterTest, AppendedEventsAreVisibleToThatTenantOnly) {
  domain::AuditWriter writer(*pool_);
  ASSERT_THAT(writer.Append(Batch({Denial("t1", "alice"), Denial("t1", "bob"),
                                   Denial("t2", "carol")}),
                            absl::Now()),
              IsOk());
  EXPECT_EQ(VisibleDenials("t1"), 2u);
  EXPECT_EQ(VisibleDenials("t2"), 1u);
}

TEST_F(PgAuditWriterTest, InvalidEventsRejectTheWholeBatch) {
  domain::AuditWriter writer(*pool_);
  v1::AuditEvent no_user = Denial("t1", "");
  EXPECT_THAT(writer.Append(Batch({Denial("t1", "alice"), no_user}), absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::AuditEvent stale = Denial("t1", "alice");
  stale.set_occurred_at_unix_micros(absl::ToUnixMicros(absl::Now()) -
                                    absl::ToInt64Microseconds(absl::Hours(1)));
  EXPECT_THAT(writer.Append(Batch({stale}), absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::AuditEvent bad_json = Denial("t1", "alice");
  bad_json.set_detail_json("{not json");
  EXPECT_FALSE(writer.Append(Batch({Denial("t1", "bob"), bad_json}), absl::Now()).ok());
  std::vector<v1::AuditEvent> flood(domain::kMaxAuditEventsPerBatch + 1,
                                    Denial("t1", "alice"));
  EXPECT_THAT(writer.Append(Batch(flood), absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(VisibleDenials("t1"), 0u) << "nothing half-written";
}

TEST_F(PgAuditWriterTest, OccurredAtIsStoredToTheMicrosecond) {
  domain::AuditWriter writer(*pool_);
  const absl::Time now = absl::Now();
  // Odd microseconds that a round trip through double seconds can shift.
  const int64_t at = absl::ToUnixMicros(now) / 1000000 * 1000000 - 999999;
  v1::AuditEvent event = Denial("t1", "alice");
  event.set_occurred_at_unix_micros(at);
  ASSERT_THAT(writer.Append(Batch({event}), now), IsOk());
  PgAuditLog store(*pool_);
  absl::StatusOr<v1::ListAuditEventsResponse> listed =
      store.ListAuditEvents(Admin("t1"), v1::ListAuditEventsRequest());
  ASSERT_THAT(listed, IsOk());
  bool found = false;
  for (const v1::AuditEvent& stored : listed->events()) {
    if (stored.action() != "denied.permission") continue;
    found = true;
    EXPECT_EQ(stored.occurred_at_unix_micros(), at);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace bastion::data::storage
