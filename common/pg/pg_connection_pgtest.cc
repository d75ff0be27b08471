// PgConnection and PgResult against a real PostgreSQL.
#include "common/pg/pg_connection.h"

#include <memory>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/pg/test_database.h"

namespace bastion::pg {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::bastion::testing::TestDatabase;

constexpr char kCreate[] =
    "CREATE TABLE t (id text PRIMARY KEY, note text, n int CHECK (n >= 0))";
constexpr char kInsert[] = "INSERT INTO t (id, note, n) VALUES ($1, $2, $3)";
constexpr char kSelect[] = "SELECT id, note, n FROM t WHERE id = $1";
constexpr char kEcho[] = "SELECT $1::text AS v";

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::CreateEmpty();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto conn = PgConnection::Connect(db_->superuser_conninfo());
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = *std::move(conn);
    ASSERT_THAT(conn_->Execute({kCreate, {}}), IsOk());
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<PgConnection> conn_;
};

TEST_F(PgConnectionTest, ParametersAndNulls) {
  ASSERT_THAT(conn_->Execute({kInsert, {"a", std::nullopt, "3"}}), IsOk());
  auto result = conn_->Execute({kSelect, {"a"}});
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->rows(), 1);
  EXPECT_EQ(result->Get(0, "id"), "a");
  EXPECT_TRUE(result->IsNull(0, "note"));
  EXPECT_EQ(result->GetOptional(0, 1), std::nullopt);
  EXPECT_EQ(result->Get(0, "n"), "3");
}

TEST_F(PgConnectionTest, ParametersAreNeverSql) {
  const std::string evil = "x'); DROP TABLE t; --";
  ASSERT_THAT(conn_->Execute({kInsert, {evil, "n", "1"}}), IsOk());
  auto result = conn_->Execute({kSelect, {evil}});
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->rows(), 1);
}

TEST_F(PgConnectionTest, MapsErrorsWithoutServerText) {
  ASSERT_THAT(conn_->Execute({kInsert, {"a", "x", "1"}}), IsOk());
  auto dup = conn_->Execute({kInsert, {"a", "secret-detail", "1"}});
  EXPECT_THAT(dup, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(dup.status().message().find("secret"), std::string_view::npos);
  EXPECT_EQ(dup.status().message().find("duplicate"), std::string_view::npos);
  EXPECT_THAT(conn_->Execute({kInsert, {"b", "x", "-1"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(conn_->Execute({kInsert, {"c", "x", "not a number"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(conn_->Execute({"SELECT * FROM missing_table", {}}),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_TRUE(conn_->IsReusable());
}

TEST_F(PgConnectionTest, PipelineReturnsOneResultPerStatement) {
  auto results = conn_->ExecutePipeline(
      {{kInsert, {"p1", "x", "1"}}, {kEcho, {"hello"}}, {kSelect, {"p1"}}});
  ASSERT_THAT(results, IsOk());
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].affected_rows(), 1);
  EXPECT_EQ((*results)[1].Get(0, "v"), "hello");
  EXPECT_EQ((*results)[2].rows(), 1);
  EXPECT_TRUE(conn_->IsReusable());
}

TEST_F(PgConnectionTest, PipelineReportsFirstFailureAndSkipsTheRest) {
  auto results = conn_->ExecutePipeline({{kInsert, {"q", "x", "1"}},
                                         {kInsert, {"q", "x", "1"}},
                                         {kInsert, {"r", "x", "1"}}});
  EXPECT_THAT(results, StatusIs(absl::StatusCode::kAlreadyExists));
  // Without an explicit transaction the pipeline is one implicit
  // transaction: nothing of it stays.
  auto q = conn_->Execute({kSelect, {"q"}});
  ASSERT_THAT(q, IsOk());
  EXPECT_EQ(q->rows(), 0);
  EXPECT_TRUE(conn_->IsReusable());
}

TEST(PgConnectionConnectTest, UnreachableIsUnavailable) {
  EXPECT_THAT(PgConnection::Connect("host=/nonexistent-dir port=1 "
                                    "connect_timeout=1"),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::pg
