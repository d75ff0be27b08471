// Every list a plain user sends must find its rows through an index led by
// (tenant_id, user_id) even as a generic plan, which PostgreSQL may switch a
// prepared statement to after a few executions; otherwise a list's cost
// grows with the whole table (a scan over every tenant's rows). Black-box:
// the test reads back the statement the store prepared on its only pooled
// connection and explains it as a generic plan under row-level security.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "services/data/storage/pg_approval_store.h"
#include "services/data/storage/pg_audit_store.h"
#include "services/data/storage/pg_memory_store.h"
#include "services/data/storage/pg_run_store.h"
#include "services/data/storage/pg_schedule_store.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/pg_trace_store.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::testing::HasSubstr;

// 2,000 rows of 40 other users of t1 in every listed table, analyzed, so the
// planner weighs an index against a scan of a table worth indexing.
constexpr char kSeed[] = R"sql(
INSERT INTO bastion_data.sessions (tenant_id, user_id, session_id,
  component_type, component_id)
SELECT 't1', 'u' || g % 40, 's' || g, 'agent', 'echo'
FROM generate_series(1, 2000) g;
INSERT INTO bastion_data.memories (tenant_id, user_id, memory_id, text)
SELECT 't1', 'u' || g % 40, 'm' || g, 'note' FROM generate_series(1, 2000) g;
INSERT INTO bastion_data.runs (tenant_id, user_id, run_id, component_type,
  component_id, status)
SELECT 't1', 'u' || g % 40, 'r' || g, 'agent', 'echo', 'running'
FROM generate_series(1, 2000) g;
INSERT INTO bastion_data.approvals (tenant_id, user_id, approval_id, run_id,
  tool_call_id, tool_name, args_sha256, expires_at)
SELECT 't1', 'u' || g % 40, 'a' || g, 'r' || g, 'c' || g, 'tool',
  repeat('0', 64), now() + interval '1 hour'
FROM generate_series(1, 2000) g;
INSERT INTO bastion_data.schedules (tenant_id, user_id, schedule_id,
  component_type, component_id, cron, grant_id)
SELECT 't1', 'u' || g % 40, 'sc' || g, 'agent', 'echo', '* * * * *',
  'sgr_' || md5(g::text)
FROM generate_series(1, 2000) g;
INSERT INTO bastion_data.spans (tenant_id, user_id, trace_id, span_id, name,
  start_time)
SELECT 't1', 'u' || g % 40, 'tr' || g, 'sp' || g, 'span', now()
FROM generate_series(1, 2000) g;
INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,
  action, resource)
SELECT 't1', 'u' || g % 40, 'none', 'seeded', 'test'
FROM generate_series(1, 2000) g;
ANALYZE;
)sql";

constexpr char kPreparedList[] =
    "SELECT name, cardinality(parameter_types) FROM pg_prepared_statements"
    " WHERE statement LIKE 'SELECT %'"
    " AND strpos(statement, 'FROM bastion_data.' || $1 || ' WHERE') > 0";

class ListPlansTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(SuperuserScript(kSeed));
  }

  // The generic plan, under row-level security, of the list statement on
  // `table` that the store prepared on the pool's only connection, bound to
  // alice with every optional filter NULL and a limit of 21.
  std::string GenericPlanOf(const std::string& table) {
    absl::StatusOr<pg::PgLease> lease = pool_->Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status();
    if (!lease.ok()) return "";
    pg::PgConnection& conn = **lease;
    absl::StatusOr<pg::PgResult> found = conn.Execute({kPreparedList, {table}});
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok() || found->rows() != 1) {
      ADD_FAILURE() << "no single prepared list statement on " << table;
      return "";
    }
    const std::string name(found->Get(0, 0));
    const int params = std::stoi(std::string(found->Get(0, 1)));
    std::vector<std::string> args = {"'t1'", "'alice'"};
    while (static_cast<int>(args.size()) < params - 1) args.push_back("NULL");
    args.push_back("21");
    return GenericPlan(conn, name, args);
  }

  // The generic plan, under row-level security, of the statement the store
  // prepared whose text is LIKE `pattern`, bound to alice and `args`.
  std::string GenericPlanOfStatement(const std::string& pattern,
                                     const std::vector<std::string>& args) {
    absl::StatusOr<pg::PgLease> lease = pool_->Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status();
    if (!lease.ok()) return "";
    pg::PgConnection& conn = **lease;
    absl::StatusOr<pg::PgResult> found = conn.Execute(
        {"SELECT name FROM pg_prepared_statements WHERE statement LIKE $1",
         {pattern}});
    EXPECT_TRUE(found.ok()) << found.status();
    if (!found.ok() || found->rows() != 1) {
      ADD_FAILURE() << "no single prepared statement like " << pattern;
      return "";
    }
    return GenericPlan(conn, std::string(found->Get(0, 0)), args);
  }

  // EXPLAIN of prepared statement `name` with `args` as a generic plan, as
  // alice under row-level security.
  static std::string GenericPlan(pg::PgConnection& conn,
                                 const std::string& name,
                                 const std::vector<std::string>& args) {
    const std::string explain =
        absl::StrCat("EXPLAIN (COSTS OFF) EXECUTE ", name, "(",
                     absl::StrJoin(args, ", "), ")");
    EXPECT_TRUE(conn.ExecuteScript("BEGIN;"
                                   " SET LOCAL plan_cache_mode ="
                                   " force_generic_plan;"
                                   " SELECT set_config('bastion.tenant_id',"
                                   " 't1', true),"
                                   " set_config('bastion.user_id', 'alice',"
                                   " true),"
                                   " set_config('bastion.admin_level', 'none',"
                                   " true);")
                    .ok());
    absl::StatusOr<pg::PgResult> plan = conn.Execute({explain.c_str(), {}});
    EXPECT_TRUE(conn.ExecuteScript("ROLLBACK").ok());
    EXPECT_TRUE(plan.ok()) << plan.status();
    if (!plan.ok()) return "";
    std::vector<std::string> lines;
    for (int i = 0; i < plan->rows(); ++i) {
      lines.emplace_back(plan->Get(i, 0));
    }
    return absl::StrJoin(lines, "\n");
  }
};

TEST_F(ListPlansTest, EveryOwnListFindsItsRowsByTheOwnerIndex) {
  PgSessions sessions(*pool_);
  PgMemories memories(*pool_);
  PgRuns runs(*pool_);
  PgApprovals approvals(*pool_);
  PgSchedules schedules(*pool_);
  PgTraces traces(*pool_);
  PgAuditLog audit(*pool_);
  const std::vector<std::pair<std::string, std::function<absl::Status()>>>
      lists = {
          {"sessions",
           [&] { return sessions.ListSessions(alice_, {}).status(); }},
          {"memories",
           [&] { return memories.ListMemories(alice_, {}).status(); }},
          {"runs", [&] { return runs.ListRuns(alice_, {}).status(); }},
          {"approvals",
           [&] { return approvals.ListApprovals(alice_, {}).status(); }},
          {"schedules",
           [&] { return schedules.ListSchedules(alice_, {}).status(); }},
          {"spans", [&] { return traces.ListTraces(alice_, {}).status(); }},
          {"audit_events",
           [&] { return audit.ListAuditEvents(alice_, {}).status(); }},
      };
  for (const auto& [table, list] : lists) {
    SCOPED_TRACE(table);
    ASSERT_TRUE(list().ok());
    EXPECT_THAT(GenericPlanOf(table),
                HasSubstr("Index Cond: ((tenant_id = $1) AND (user_id = $2)"));
  }
}

// A user's own run, read, locked or changed by its id, is reached through
// an index on its owner and id even as a generic plan: never by visiting
// the user's (or the tenant's) other runs and events.
TEST_F(ListPlansTest, AUsersRunIsReachedByItsOwnerAndId) {
  ASSERT_NO_FATAL_FAILURE(SuperuserScript(
      "INSERT INTO bastion_data.run_events (tenant_id, user_id, run_id, seq,"
      " type, payload)"
      " SELECT tenant_id, user_id, run_id, s, 'model_output', '{}'"
      " FROM bastion_data.runs, generate_series(1, 10) s;"
      " ANALYZE bastion_data.run_events;"));
  PgRuns runs(*pool_);
  v1::GetRunRequest get;
  get.set_run_id("r1");
  get.set_include_events(true);
  // Not alice's: NOT_FOUND, but the statements are prepared.
  EXPECT_FALSE(runs.GetRun(alice_, get).ok());
  v1::UpdateRunRequest update;
  update.set_run_id("r1");
  update.set_request_cancel(true);
  EXPECT_FALSE(runs.UpdateRun(alice_, update).ok());

  EXPECT_THAT(
      GenericPlanOfStatement("SELECT run_id, seq,%FROM bastion_data.run_events%",
                             {"'t1'", "'alice'", "'r1'", "0", "21"}),
      HasSubstr("Index Cond: ((tenant_id = $1) AND (user_id = $2) AND "
                "(run_id = $3)"));
  const std::string status =
      GenericPlanOfStatement("SELECT status FROM bastion_data.runs%",
                             {"'t1'", "'alice'", "'r1'"});
  EXPECT_THAT(status, HasSubstr("run_id = $3"));
  EXPECT_THAT(status, ::testing::Not(HasSubstr("runs_user_created")));
}

// The scheduler's claim is platform-wide: it must reach the earliest due
// schedules through the claim index, not by sorting every tenant's rows.
TEST_F(ListPlansTest, TheClaimFindsDueSchedulesByTheClaimIndex) {
  ASSERT_NO_FATAL_FAILURE(SuperuserScript(
      "UPDATE bastion_data.schedules"
      " SET next_run_at = now() + (substr(schedule_id, 3)::int - 100)"
      " * interval '1 minute';"
      " ANALYZE bastion_data.schedules;"));
  PgSchedules schedules(*pool_);
  v1::ClaimDueSchedulesRequest claim;
  claim.set_claimer_id("scheduler-1");
  claim.set_limit(10);
  claim.set_lease_seconds(60);
  absl::StatusOr<v1::ClaimDueSchedulesResponse> claimed =
      schedules.ClaimDueSchedules(scheduler_, claim);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  EXPECT_EQ(claimed->schedules_size(), 10);

  absl::StatusOr<pg::PgLease> lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  pg::PgConnection& conn = **lease;
  absl::StatusOr<pg::PgResult> found = conn.Execute(
      {"SELECT name FROM pg_prepared_statements"
       " WHERE statement LIKE"
       " 'WITH claimed AS ( UPDATE bastion_data.schedules SET claimed_by%'",
       {}});
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->rows(), 1);
  const std::string explain =
      absl::StrCat("EXPLAIN (COSTS OFF) EXECUTE ",
                   std::string(found->Get(0, 0)), "('scheduler-2', 10, 60, 'bastion',"
                   " 'service:run_executor')");
  ASSERT_TRUE(conn.ExecuteScript("BEGIN;"
                                 " SET LOCAL plan_cache_mode ="
                                 " force_generic_plan;"
                                 " SELECT set_config('bastion.tenant_id',"
                                 " 't0', true),"
                                 " set_config('bastion.user_id', 'root',"
                                 " true),"
                                 " set_config('bastion.admin_level',"
                                 " 'platform', true);")
                  .ok());
  absl::StatusOr<pg::PgResult> plan = conn.Execute({explain.c_str(), {}});
  EXPECT_TRUE(conn.ExecuteScript("ROLLBACK").ok());
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<std::string> lines;
  for (int i = 0; i < plan->rows(); ++i) lines.emplace_back(plan->Get(i, 0));
  EXPECT_THAT(absl::StrJoin(lines, "\n"),
              HasSubstr("Index Scan using schedules_due_at"));
}

}  // namespace
}  // namespace bastion::data::storage
