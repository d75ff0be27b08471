// Admin access to other users' data, across every store, against a real
// PostgreSQL: each call an admin makes on another user's session, memory,
// trace, run, approval or schedule is in the audit log with the owner it
// touched, in the same transaction; non-admin calls are not.
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/pg_approval_store.h"
#include "services/data/storage/pg_memory_store.h"
#include "services/data/storage/pg_run_store.h"
#include "services/data/storage/pg_schedule_store.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/pg_trace_store.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::Caller;
using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

// SHA-256 of the approval's arguments, "{}".
const std::string kHash =
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

class AdminAuditTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    stores_ = std::make_unique<Stores>(*pool_);
    ASSERT_NO_FATAL_FAILURE(SeedAlice("x1"));
    ASSERT_NO_FATAL_FAILURE(SeedAlice("x2"));
  }

  // Alice's session, memory, trace, run, approval and due schedule `id`.
  void SeedAlice(const std::string& id) {
    v1::CreateSessionRequest s;
    s.set_session_id(id);
    s.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    s.set_component_id("echo");
    ASSERT_THAT(stores_->sessions.CreateSession(alice_, s), IsOk());
    v1::CreateMemoryRequest m;
    m.set_memory_id(id);
    m.set_text("t");
    ASSERT_THAT(stores_->memories.CreateMemory(alice_, m), IsOk());
    v1::AppendSpansRequest t;
    v1::Span* span = t.add_spans();
    span->set_trace_id(id);
    span->set_span_id("root");
    span->set_name("op");
    span->set_start_time_unix_nano(1700000000000000000);
    ASSERT_THAT(stores_->traces.AppendSpans(alice_, t), IsOk());
    v1::CreateRunRequest r;
    r.set_run_id(id);
    r.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    r.set_component_id("echo");
    ASSERT_THAT(stores_->runs.CreateRun(alice_, r), IsOk());
    v1::CreateApprovalRequest a;
    a.set_approval_id(id);
    a.set_run_id(id);
    a.set_tool_call_id("tc");
    a.set_tool_name("shell");
    a.set_args_sha256(kHash);
    a.set_arguments_json("{}");
    a.set_ttl_seconds(600);
    ASSERT_THAT(stores_->approvals.CreateApproval(alice_, a), IsOk());
    v1::CreateScheduleRequest sc;
    sc.set_schedule_id(id);
    sc.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    sc.set_component_id("echo");
    sc.set_cron("*/5 * * * *");
    sc.set_grant_id("sgr_0123456789abcdef0123456789abcdef");
    sc.set_next_run_at_unix_micros(
        absl::ToUnixMicros(absl::Now() - absl::Hours(1)));
    ASSERT_THAT(stores_->schedules.CreateSchedule(alice_, sc), IsOk());
  }

  // Every by-id call on `id`, as `p`, reading and changing.
  void TouchEverything(const Caller& p, const std::string& id) {
    v1::GetSessionRequest gs;
    gs.set_session_id(id);
    (void)stores_->sessions.GetSession(p, gs);
    v1::UpdateSessionRequest us;
    us.set_session_id(id);
    us.set_update_name(true);
    us.set_name("renamed");
    (void)stores_->sessions.UpdateSession(p, us);
    v1::GetMemoryRequest gm;
    gm.set_memory_id(id);
    (void)stores_->memories.GetMemory(p, gm);
    v1::UpdateMemoryRequest um;
    um.set_memory_id(id);
    um.set_update_text(true);
    um.set_text("changed");
    (void)stores_->memories.UpdateMemory(p, um);
    v1::GetTraceRequest gt;
    gt.set_trace_id(id);
    (void)stores_->traces.GetTrace(p, gt);
    v1::GetRunRequest gr;
    gr.set_run_id(id);
    (void)stores_->runs.GetRun(p, gr);
    v1::UpdateRunRequest ur;
    ur.set_run_id(id);
    ur.set_request_cancel(true);
    (void)stores_->runs.UpdateRun(p, ur);
    v1::AppendRunEventsRequest ae;
    ae.set_run_id(id);
    ae.add_events()->set_type("note");
    (void)stores_->runs.AppendRunEvents(p, ae);
    v1::GetApprovalRequest ga;
    ga.set_approval_id(id);
    (void)stores_->approvals.GetApproval(p, ga);
    v1::ResolveApprovalRequest ra;
    ra.set_approval_id(id);
    ra.set_decision(v1::APPROVAL_DECISION_REJECT);
    ra.set_expected_args_sha256(kHash);
    (void)stores_->approvals.ResolveApproval(p, ra);
    v1::GetScheduleRequest gsc;
    gsc.set_schedule_id(id);
    (void)stores_->schedules.GetSchedule(p, gsc);
    v1::UpdateScheduleRequest usc;
    usc.set_schedule_id(id);
    usc.set_update_enabled(true);
    usc.set_enabled(true);
    (void)stores_->schedules.UpdateSchedule(p, usc);
    v1::DeleteMemoryRequest dm;
    dm.set_memory_id(id);
    (void)stores_->memories.DeleteMemory(p, dm);
    v1::DeleteSessionRequest ds;
    ds.set_session_id(id);
    (void)stores_->sessions.DeleteSession(p, ds);
    v1::DeleteScheduleRequest dsc;
    dsc.set_schedule_id(id);
    (void)stores_->schedules.DeleteSchedule(p, dsc);
  }

  // "action resource resource_id target admin_level" of `actor`'s rows.
  std::string AuditOf(const std::string& actor) {
    return SuperuserScalar(
        ("SELECT coalesce(string_agg(action || ' ' || resource || ' ' ||"
         " resource_id || ' ' || target_user_id || ' ' || admin_level, '\n'"
         " ORDER BY action, resource_id), '')"
         " FROM bastion_data.audit_events WHERE user_id = '" +
         actor + "'")
            .c_str());
  }

  // Views of the stores, which need the pool SetUp makes.
  struct Stores {
    explicit Stores(pg::PgPool& pool)
        : sessions(pool),
          memories(pool),
          traces(pool),
          runs(pool),
          approvals(pool),
          schedules(pool) {}
    PgSessions sessions;
    PgMemories memories;
    PgTraces traces;
    PgRuns runs;
    PgApprovals approvals;
    PgSchedules schedules;
  };
  std::unique_ptr<Stores> stores_;
};

TEST_F(AdminAuditTest, TenantAdminsCallsOnAUsersRowsNameThatUser) {
  TouchEverything(t1_admin_, "x1");
  EXPECT_EQ(AuditOf("admin1"),
            "approvals.get approvals x1 alice tenant\n"
            "approvals.rejected approvals x1 alice tenant\n"
            "approvals.resolve approvals x1 alice tenant\n"
            "memories.delete memories x1 alice tenant\n"
            "memories.get memories x1 alice tenant\n"
            "memories.update memories x1 alice tenant\n"
            "runs.append_events runs x1 alice tenant\n"
            "runs.get runs x1 alice tenant\n"
            "runs.update runs x1 alice tenant\n"
            "schedules.delete schedules x1 alice tenant\n"
            "schedules.get schedules x1 alice tenant\n"
            "schedules.update schedules x1 alice tenant\n"
            "sessions.delete sessions x1 alice tenant\n"
            "sessions.get sessions x1 alice tenant\n"
            "sessions.update sessions x1 alice tenant\n"
            "traces.get traces x1 alice tenant");
  // The changes happened, so the records are of real access.
  v1::GetSessionRequest gs;
  gs.set_session_id("x1");
  EXPECT_THAT(stores_->sessions.GetSession(alice_, gs),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AdminAuditTest, BulkDeleteAndClaimsAreRecorded) {
  v1::DeleteSessionsRequest many;
  many.add_session_ids("x1");
  many.add_session_ids("x2");
  many.add_session_ids("nobody");
  auto deleted = stores_->sessions.DeleteSessions(t1_admin_, many);
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->deleted_count(), 2);
  v1::ClaimDueSchedulesRequest claim;
  claim.set_claimer_id("scheduler-1");
  claim.set_limit(10);
  claim.set_lease_seconds(60);
  auto claimed = stores_->schedules.ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_EQ(claimed->schedules_size(), 2);
  EXPECT_EQ(AuditOf("admin1"),
            "sessions.delete_many sessions nobody  tenant\n"
            "sessions.delete_many sessions x1 alice tenant\n"
            "sessions.delete_many sessions x2 alice tenant");
  // The scheduler's claim across tenants: each schedule it claimed,
  // recorded as its own with the schedule's owner; a claim that finds
  // nothing due records nothing.
  EXPECT_EQ(AuditOf("service:run_executor"),
            "schedules.claim schedules x1 alice platform\n"
            "schedules.claim schedules x2 alice platform");
  claimed = stores_->schedules.ClaimDueSchedules(scheduler_, claim);
  ASSERT_THAT(claimed, IsOk());
  EXPECT_EQ(claimed->schedules_size(), 0);
  EXPECT_EQ(AuditOf("service:run_executor"),
            "schedules.claim schedules x1 alice platform\n"
            "schedules.claim schedules x2 alice platform");
}

// An admin of another tenant reaches nothing, and its (audited) attempt
// does not learn or record who owns the id in T1.
TEST_F(AdminAuditTest, OtherTenantsAdminAttemptsNameNobody) {
  TouchEverything(t2_admin_, "x1");
  const std::string audit = AuditOf("admin2");
  EXPECT_EQ(audit.find("alice"), std::string::npos) << audit;
  EXPECT_NE(audit.find("sessions.get sessions x1  tenant"), std::string::npos)
      << audit;
  v1::GetSessionRequest gs;
  gs.set_session_id("x1");
  auto session = stores_->sessions.GetSession(alice_, gs);
  ASSERT_THAT(session, IsOk());
  EXPECT_EQ(session->name(), "");
}

TEST_F(AdminAuditTest, OwnAndSameTenantUsersCallsAreNotAuditEvents) {
  // Only alice's approval requests (seeded) are there: they are audited
  // for what they are, not as anybody's access.
  const std::string seeded =
      SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events");
  EXPECT_EQ(AuditOf("alice"),
            "approvals.requested approvals x1 alice none\n"
            "approvals.requested approvals x2 alice none");
  TouchEverything(alice_, "x1");
  TouchEverything(bob_, "x2");
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events"),
            seeded);
}

}  // namespace
}  // namespace bastion::data::storage
