// PgPool against a real PostgreSQL: bounds, reuse, broken connections.
#include "common/pg/pg_pool.h"

#include <atomic>
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

constexpr char kPid[] = "SELECT pg_backend_pid()";
constexpr char kTerminate[] = "SELECT pg_terminate_backend($1::int)";
constexpr char kBackendAlive[] =
    "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int";
constexpr char kSleepAndEcho[] = "SELECT $1::text, pg_sleep(0.01)";

class PgPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::CreateEmpty();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  PgPoolOptions Options(int max_size) {
    PgPoolOptions options;
    options.conninfo = db_->superuser_conninfo();
    options.max_size = max_size;
    options.acquire_timeout = absl::Seconds(5);
    return options;
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(PgPoolTest, ReusesReturnedConnection) {
  PgPool pool(Options(2));
  int first_pid = 0;
  {
    auto lease = pool.Acquire();
    ASSERT_THAT(lease, IsOk());
    first_pid = (*lease)->BackendPid();
  }
  auto lease = pool.Acquire();
  ASSERT_THAT(lease, IsOk());
  EXPECT_EQ((*lease)->BackendPid(), first_pid);
  EXPECT_EQ(pool.OpenConnections(), 1);
}

TEST_F(PgPoolTest, BoundedAcquireTimesOut) {
  PgPool pool(Options(2));
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_THAT(pool.Acquire(absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(pool.OpenConnections(), 2);
}

TEST_F(PgPoolTest, WaiterGetsReleasedConnection) {
  PgPool pool(Options(1));
  auto a = pool.Acquire();
  ASSERT_THAT(a, IsOk());
  std::thread releaser([lease = std::move(*a)]() mutable {
    absl::SleepFor(absl::Milliseconds(50));
    PgLease gone = std::move(lease);
  });
  EXPECT_THAT(pool.Acquire(absl::Seconds(5)), IsOk());
  releaser.join();
}

// Terminates `pid` and waits (by polling the server, not the clock) until
// it is gone.
void Terminate(TestDatabase& db, int pid) {
  auto killer = PgConnection::Connect(db.superuser_conninfo());
  ASSERT_THAT(killer, IsOk());
  ASSERT_THAT((*killer)->Execute({kTerminate, {std::to_string(pid)}}), IsOk());
  for (int i = 0; i < 1000; ++i) {
    auto left = (*killer)->Execute({kBackendAlive, {std::to_string(pid)}});
    ASSERT_THAT(left, IsOk());
    if (left->Get(0, 0) == "0") return;
    absl::SleepFor(absl::Milliseconds(5));
  }
  FAIL() << "backend " << pid << " did not exit";
}

TEST_F(PgPoolTest, ConnectionClosedWhileIdleIsReplacedOnAcquire) {
  PgPool pool(Options(1));
  int victim = 0;
  {
    auto lease = pool.Acquire();
    ASSERT_THAT(lease, IsOk());
    victim = (*lease)->BackendPid();
  }
  Terminate(*db_, victim);
  auto lease = pool.Acquire();
  ASSERT_THAT(lease, IsOk());
  auto pid = (*lease)->Execute({kPid, {}});
  ASSERT_THAT(pid, IsOk());
  EXPECT_NE(std::string(pid->Get(0, 0)), std::to_string(victim));
  EXPECT_EQ(pool.OpenConnections(), 1);
}

TEST_F(PgPoolTest, ConnectionLostInUseIsUnavailableThenDiscarded) {
  PgPool pool(Options(1));
  {
    auto lease = pool.Acquire();
    ASSERT_THAT(lease, IsOk());
    Terminate(*db_, (*lease)->BackendPid());
    EXPECT_THAT((*lease)->Execute({kPid, {}}),
                StatusIs(absl::StatusCode::kUnavailable));
  }
  EXPECT_EQ(pool.OpenConnections(), 0);
  auto lease = pool.Acquire();
  ASSERT_THAT(lease, IsOk());
  EXPECT_THAT((*lease)->Execute({kPid, {}}), IsOk());
}

TEST_F(PgPoolTest, OpenTransactionIsNeverReused) {
  PgPool pool(Options(1));
  {
    auto lease = pool.Acquire();
    ASSERT_THAT(lease, IsOk());
    ASSERT_THAT((*lease)->Execute({"BEGIN", {}}), IsOk());
  }
  EXPECT_EQ(pool.OpenConnections(), 0);
}

TEST_F(PgPoolTest, ManyThreadsShareABoundedPool) {
  PgPool pool(Options(3));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&pool, &ok, t] {
      for (int i = 0; i < 10; ++i) {
        auto lease = pool.Acquire(absl::Seconds(30));
        if (!lease.ok()) continue;
        const std::string value = std::to_string(t * 100 + i);
        auto result = (*lease)->Execute({kSleepAndEcho, {value}});
        if (result.ok() && result->Get(0, 0) == value) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_LE(pool.OpenConnections(), 3);
}

TEST(PgPoolNoServerTest, UnreachableIsUnavailableAndFreesTheSlot) {
  PgPoolOptions options;
  options.conninfo = "host=/nonexistent-dir port=1 connect_timeout=1";
  options.max_size = 1;
  PgPool pool(options);
  EXPECT_THAT(pool.Acquire(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(pool.Acquire(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(pool.OpenConnections(), 0);
}

}  // namespace
}  // namespace bastion::pg
