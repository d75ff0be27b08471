// PrincipalTransaction against a real PostgreSQL: transaction-local
// settings, one transaction, rollback on failure, no leak through the pool.
#include "common/pg/principal_transaction.h"

#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/pg/test_database.h"

namespace bastion::pg {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::bastion::testing::TestDatabase;

constexpr char kSettings[] =
    "SELECT current_setting('bastion.tenant_id', true) AS tenant,"
    " current_setting('bastion.user_id', true) AS user_id,"
    " current_setting('bastion.admin_level', true) AS admin";
constexpr char kTxid[] = "SELECT txid_current()::text";
constexpr char kCreate[] = "CREATE TABLE t (id text PRIMARY KEY)";
constexpr char kInsert[] = "INSERT INTO t (id) VALUES ($1)";
constexpr char kCount[] = "SELECT count(*) FROM t WHERE id = $1";
constexpr char kPid[] = "SELECT pg_backend_pid()";

class PrincipalTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::CreateEmpty();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    PgPoolOptions options;
    options.conninfo = db_->superuser_conninfo();
    options.max_size = 1;  // Every request shares one connection.
    pool_ = std::make_unique<PgPool>(options);
    auto lease = pool_->Acquire();
    ASSERT_THAT(lease, IsOk());
    ASSERT_THAT((*lease)->Execute({kCreate, {}}), IsOk());
  }

  std::string Count(const std::string& id) {
    auto lease = pool_->Acquire();
    EXPECT_THAT(lease, IsOk());
    auto r = (*lease)->Execute({kCount, {id}});
    EXPECT_THAT(r, IsOk());
    return std::string(r->Get(0, 0));
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgPool> pool_;
};

const PrincipalScope kAlice{"t1", "alice", AdminLevel::kNone};
const PrincipalScope kBob{"t1", "bob", AdminLevel::kTenant};

TEST_F(PrincipalTransactionTest, SettingsAreVisibleInsideTheTransaction) {
  auto results = RunAsPrincipal(*pool_, kBob, {{kSettings, {}}});
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ((*results)[0].Get(0, "tenant"), "t1");
  EXPECT_EQ((*results)[0].Get(0, "user_id"), "bob");
  EXPECT_EQ((*results)[0].Get(0, "admin"), "tenant");
}

TEST_F(PrincipalTransactionTest, SettingsDoNotOutliveTheTransaction) {
  ASSERT_THAT(RunAsPrincipal(*pool_, kAlice, {{kInsert, {"a"}}}), IsOk());
  auto lease = pool_->Acquire();
  ASSERT_THAT(lease, IsOk());
  auto after = (*lease)->Execute({kSettings, {}});
  ASSERT_THAT(after, IsOk());
  // A placeholder may remain defined, but empty.
  EXPECT_EQ(after->Get(0, "tenant"), "");
  EXPECT_EQ(after->Get(0, "user_id"), "");
  EXPECT_EQ(after->Get(0, "admin"), "");
}

TEST_F(PrincipalTransactionTest, NextPrincipalOnSameConnectionSeesOnlyItself) {
  auto first = RunAsPrincipal(*pool_, kAlice, {{kPid, {}}, {kSettings, {}}});
  ASSERT_THAT(first, IsOk());
  auto second = RunAsPrincipal(*pool_, kBob, {{kPid, {}}, {kSettings, {}}});
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ((*first)[0].Get(0, 0), (*second)[0].Get(0, 0));  // Same backend.
  EXPECT_EQ((*second)[1].Get(0, "user_id"), "bob");
}

TEST_F(PrincipalTransactionTest, AllStatementsShareOneTransaction) {
  auto results = RunAsPrincipal(*pool_, kAlice, {{kTxid, {}}, {kTxid, {}}});
  ASSERT_THAT(results, IsOk());
  EXPECT_EQ((*results)[0].Get(0, 0), (*results)[1].Get(0, 0));
}

TEST_F(PrincipalTransactionTest, FailureRollsBackEverythingAndKeepsConnection) {
  ASSERT_THAT(RunAsPrincipal(*pool_, kAlice, {{kInsert, {"dup"}}}), IsOk());
  EXPECT_THAT(RunAsPrincipal(*pool_, kAlice,
                             {{kInsert, {"fresh"}}, {kInsert, {"dup"}}}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Count("fresh"), "0");
  EXPECT_EQ(pool_->OpenConnections(), 1);
  EXPECT_THAT(RunAsPrincipal(*pool_, kAlice, {{kInsert, {"later"}}}), IsOk());
  EXPECT_EQ(Count("later"), "1");
}

TEST_F(PrincipalTransactionTest, EachPieceRunsAsItsOwnPrincipal) {
  std::vector<PrincipalWork> work;
  work.push_back({kAlice, {{kSettings, {}}, {kTxid, {}}}});
  work.push_back({kBob, {{kSettings, {}}, {kTxid, {}}}});
  auto results = RunAsPrincipals(*pool_, std::move(work));
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 2u);
  ASSERT_EQ((*results)[0].size(), 2u);
  ASSERT_EQ((*results)[1].size(), 2u);
  EXPECT_EQ((*results)[0][0].Get(0, "user_id"), "alice");
  EXPECT_EQ((*results)[0][0].Get(0, "admin"), "none");
  EXPECT_EQ((*results)[1][0].Get(0, "user_id"), "bob");
  EXPECT_EQ((*results)[1][0].Get(0, "admin"), "tenant");
  // One transaction for both.
  EXPECT_EQ((*results)[0][1].Get(0, 0), (*results)[1][1].Get(0, 0));
}

TEST_F(PrincipalTransactionTest, OnePieceFailingRollsBackEveryPiece) {
  ASSERT_THAT(RunAsPrincipal(*pool_, kAlice, {{kInsert, {"dup"}}}), IsOk());
  std::vector<PrincipalWork> work;
  work.push_back({kAlice, {{kInsert, {"first"}}}});
  work.push_back({kBob, {{kInsert, {"dup"}}}});
  EXPECT_THAT(RunAsPrincipals(*pool_, std::move(work)),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Count("first"), "0");
  EXPECT_EQ(pool_->OpenConnections(), 1);
}

TEST_F(PrincipalTransactionTest, EveryPieceNeedsTenantAndUser) {
  std::vector<PrincipalWork> work;
  work.push_back({kAlice, {{kInsert, {"x"}}}});
  work.push_back({PrincipalScope{"t1", "", AdminLevel::kNone},
                  {{kInsert, {"y"}}}});
  EXPECT_THAT(RunAsPrincipals(*pool_, std::move(work)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Count("x"), "0");
}

TEST_F(PrincipalTransactionTest, MultiStepCommitsOnlyWhenAsked) {
  {
    auto tx = PrincipalTransaction::Begin(*pool_, kAlice);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT(tx->Run({{kInsert, {"dropped"}}}), IsOk());
    auto seen = tx->Run({{kCount, {"dropped"}}, {kSettings, {}}});
    ASSERT_THAT(seen, IsOk());
    EXPECT_EQ((*seen)[0].Get(0, 0), "1");
    EXPECT_EQ((*seen)[1].Get(0, "user_id"), "alice");
  }  // Destroyed without commit: rolled back.
  EXPECT_EQ(Count("dropped"), "0");
  {
    auto tx = PrincipalTransaction::Begin(*pool_, kAlice);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT(tx->Run({{kInsert, {"kept1"}}}), IsOk());
    ASSERT_THAT(tx->RunAndCommit({{kInsert, {"kept2"}}}), IsOk());
    EXPECT_THAT(tx->Run({{kInsert, {"x"}}}),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(Count("kept1"), "1");
  EXPECT_EQ(Count("kept2"), "1");
  EXPECT_EQ(pool_->OpenConnections(), 1);
}

TEST_F(PrincipalTransactionTest, RequiresTenantAndUser) {
  EXPECT_THAT(RunAsPrincipal(*pool_, {"", "alice", AdminLevel::kNone}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RunAsPrincipal(*pool_, {"t1", "", AdminLevel::kNone}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PrincipalTransactionTest, ConcurrentPrincipalsSeeOnlyThemselves) {
  PgPoolOptions options;
  options.conninfo = db_->superuser_conninfo();
  options.max_size = 3;
  PgPool pool(options);
  std::atomic<int> wrong{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      const PrincipalScope me{"t" + std::to_string(t % 2),
                              "u" + std::to_string(t), AdminLevel::kNone};
      for (int i = 0; i < 20; ++i) {
        auto r = RunAsPrincipal(pool, me, {{kSettings, {}}});
        if (!r.ok()) continue;
        ++ok;
        if ((*r)[0].Get(0, "user_id") != me.user_id ||
            (*r)[0].Get(0, "tenant") != me.tenant_id) {
          ++wrong;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 120);
  EXPECT_EQ(wrong.load(), 0);
}

// libpq's protocol trace lists messages in the order they are written (F)
// and read (B). One round trip means every frontend message of the request
// precedes every backend message: nothing is read before all is sent.
TEST_F(PrincipalTransactionTest, WholeRequestIsOneRoundTrip) {
  char path[] = "/tmp/bastion_pgtrace_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* trace = fdopen(fd, "w+");
  ASSERT_NE(trace, nullptr);
  {
    auto lease = pool_->Acquire();  // The pool's only connection.
    ASSERT_THAT(lease, IsOk());
    PQtrace((*lease)->raw(), trace);
    PQsetTraceFlags((*lease)->raw(), PQTRACE_SUPPRESS_TIMESTAMPS);
  }
  ASSERT_THAT(RunAsPrincipal(*pool_, kAlice,
                             {{kInsert, {"rt1"}}, {kInsert, {"rt2"}},
                              {kCount, {"rt1"}}}),
              IsOk());
  {
    auto lease = pool_->Acquire();
    ASSERT_THAT(lease, IsOk());
    PQuntrace((*lease)->raw());
  }
  std::fflush(trace);
  std::rewind(trace);
  std::string directions;
  int executes = 0;
  int syncs = 0;
  int begins_or_commits = 0;
  char line[4096];
  while (std::fgets(line, sizeof(line), trace) != nullptr) {
    if (line[0] != 'F' && line[0] != 'B') continue;
    directions.push_back(line[0]);
    const std::string text(line);
    if (line[0] == 'F' && text.find("Execute") != std::string::npos) ++executes;
    if (line[0] == 'F' && text.find("Sync") != std::string::npos) ++syncs;
    if (text.find("BEGIN") != std::string::npos ||
        text.find("COMMIT") != std::string::npos) {
      ++begins_or_commits;
    }
  }
  std::fclose(trace);
  std::remove(path);
  ASSERT_FALSE(directions.empty());
  const size_t first_b = directions.find('B');
  ASSERT_NE(first_b, std::string::npos);
  EXPECT_EQ(directions.find('F', first_b), std::string::npos) << directions;
  // Settings and three statements, no BEGIN/COMMIT (one implicit
  // transaction up to the Sync): four executions, one Sync.
  EXPECT_EQ(executes, 4);
  EXPECT_EQ(syncs, 1);
  EXPECT_EQ(begins_or_commits, 0);
}

TEST_F(PrincipalTransactionTest, StatementsAreParsedOncePerConnection) {
  char path[] = "/tmp/bastion_pgtrace_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  FILE* trace = fdopen(fd, "w+");
  ASSERT_NE(trace, nullptr);
  {
    auto lease = pool_->Acquire();  // The pool's only connection.
    ASSERT_THAT(lease, IsOk());
    PQtrace((*lease)->raw(), trace);
    PQsetTraceFlags((*lease)->raw(), PQTRACE_SUPPRESS_TIMESTAMPS);
  }
  for (int i = 0; i < 3; ++i) {
    // The same SQL twice in one pipeline, and again in later requests.
    ASSERT_THAT(RunAsPrincipal(*pool_, kAlice,
                               {{kCount, {"p1"}}, {kCount, {"p2"}}}),
                IsOk());
  }
  {
    auto lease = pool_->Acquire();
    ASSERT_THAT(lease, IsOk());
    PQuntrace((*lease)->raw());
  }
  std::fflush(trace);
  std::rewind(trace);
  int parses = 0;
  int executes = 0;
  char line[4096];
  while (std::fgets(line, sizeof(line), trace) != nullptr) {
    const std::string text(line);
    if (line[0] != 'F') continue;
    parses += text.find("Parse") != std::string::npos;
    executes += text.find("Execute") != std::string::npos;
  }
  std::fclose(trace);
  std::remove(path);
  // Earlier tests may have prepared the settings statement already; the
  // count query is parsed at most once, whatever runs it.
  EXPECT_LE(parses, 2);
  EXPECT_EQ(executes, 9);
}

TEST(AdminLevelTest, Names) {
  EXPECT_EQ(AdminLevelName(AdminLevel::kNone), "none");
  EXPECT_EQ(AdminLevelName(AdminLevel::kTenant), "tenant");
  EXPECT_EQ(AdminLevelName(AdminLevel::kPlatform), "platform");
}

}  // namespace
}  // namespace bastion::pg
