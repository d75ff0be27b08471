// PgTraceStore against a real PostgreSQL: hash chain, verification,
// tamper detection, append-only and isolation.
#include "services/data/storage/pg_trace_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/pg/principal_transaction.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

constexpr int64_t kT0 = 1700000000000000000;  // ns

v1::Span MakeSpan(const std::string& trace, const std::string& id,
                  const std::string& parent = "") {
  v1::Span s;
  s.set_trace_id(trace);
  s.set_span_id(id);
  s.set_parent_span_id(parent);
  s.set_name("op-" + id);
  s.set_start_time_unix_nano(kT0 + 1000);
  s.set_end_time_unix_nano(kT0 + 5000);
  s.set_attributes_json(R"({"model": "scripted", "tokens": 3})");
  s.set_status(v1::SPAN_STATUS_OK);
  return s;
}

v1::AppendSpansRequest Append(std::vector<v1::Span> spans) {
  v1::AppendSpansRequest r;
  for (auto& s : spans) *r.add_spans() = s;
  return r;
}

v1::GetTraceRequest Get(const std::string& trace) {
  v1::GetTraceRequest r;
  r.set_trace_id(trace);
  return r;
}

class PgTraceStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PgTraces>(*pool_);
    ASSERT_THAT(store_->AppendSpans(alice_, Append({MakeSpan("tr-a", "root"),
                                                   MakeSpan("tr-a", "c1", "root")})),
                IsOk());
  }

  std::unique_ptr<PgTraces> store_;
};

TEST_F(PgTraceStoreTest, ChainsSpansAcrossAppends) {
  auto more = store_->AppendSpans(alice_, Append({MakeSpan("tr-a", "c2", "root")}));
  ASSERT_THAT(more, IsOk());
  ASSERT_EQ(more->spans_size(), 1);
  EXPECT_EQ(more->spans(0).seq(), 3);
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  ASSERT_EQ(trace->spans_size(), 3);
  EXPECT_TRUE(trace->chain_valid());
  EXPECT_EQ(trace->first_invalid_seq(), 0);
  EXPECT_EQ(trace->spans(0).prev_hash(), std::string(32, '\0'));
  EXPECT_EQ(trace->spans(1).prev_hash(), trace->spans(0).hash());
  EXPECT_EQ(trace->spans(2).prev_hash(), trace->spans(1).hash());
  EXPECT_EQ(trace->spans(0).hash().size(), 32u);
  EXPECT_EQ(trace->spans(1).start_time_unix_nano(), kT0 + 1000);
  EXPECT_EQ(trace->spans(1).parent_span_id(), "root");
  EXPECT_EQ(trace->spans(1).status(), v1::SPAN_STATUS_OK);
}

TEST_F(PgTraceStoreTest, TamperingIsDetected) {
  SuperuserScript(
      "ALTER TABLE bastion_data.spans DISABLE TRIGGER append_only;"
      " UPDATE bastion_data.spans SET attributes = '{}'"
      " WHERE span_id = 'c1';"
      " ALTER TABLE bastion_data.spans ENABLE TRIGGER append_only;");
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  EXPECT_FALSE(trace->chain_valid());
  EXPECT_EQ(trace->first_invalid_seq(), 2);
}

TEST_F(PgTraceStoreTest, RemovedSpanIsDetected) {
  ASSERT_THAT(store_->AppendSpans(alice_, Append({MakeSpan("tr-a", "c2")})),
              IsOk());
  SuperuserScript(
      "ALTER TABLE bastion_data.spans DISABLE TRIGGER append_only;"
      " DELETE FROM bastion_data.spans WHERE span_id = 'c1';"
      " ALTER TABLE bastion_data.spans ENABLE TRIGGER append_only;");
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  EXPECT_FALSE(trace->chain_valid());
  EXPECT_EQ(trace->first_invalid_seq(), 3);
}

TEST_F(PgTraceStoreTest, OtherUsersTraceIsNotFoundAndNotExtendable) {
  EXPECT_THAT(store_->GetTrace(bob_, Get("tr-a")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetTrace(carol_, Get("tr-a")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetTrace(t2_admin_, Get("tr-a")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->AppendSpans(bob_, Append({MakeSpan("tr-a", "evil")})),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->AppendSpans(t1_admin_, Append({MakeSpan("tr-a", "evil")})),
              StatusIs(absl::StatusCode::kAlreadyExists));
  // Another tenant's trace ids are its own.
  EXPECT_THAT(store_->AppendSpans(carol_, Append({MakeSpan("tr-a", "root")})),
              IsOk());
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(trace->spans_size(), 2);
  EXPECT_TRUE(trace->chain_valid());
}

TEST_F(PgTraceStoreTest, WritesAsThePrincipalWhateverTheSpanSays) {
  v1::Span forged = MakeSpan("tr-b", "s1");
  forged.set_user_id("bob");
  auto out = store_->AppendSpans(alice_, Append({forged}));
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->spans(0).user_id(), "alice");
  EXPECT_THAT(store_->GetTrace(bob_, Get("tr-b")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PgTraceStoreTest, AppendIsAllOrNothing) {
  EXPECT_THAT(store_->AppendSpans(alice_, Append({MakeSpan("tr-a", "new1"),
                                                  MakeSpan("tr-a", "root")})),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(trace->spans_size(), 2);
}

TEST_F(PgTraceStoreTest, ListsOwnTracesOnly) {
  ASSERT_THAT(store_->AppendSpans(bob_, Append({MakeSpan("tr-bob", "r")})),
              IsOk());
  v1::ListTracesRequest r;
  r.set_user_id("bob");  // Ignored for alice.
  auto mine = store_->ListTraces(alice_, r);
  ASSERT_THAT(mine, IsOk());
  ASSERT_EQ(mine->traces_size(), 1);
  EXPECT_EQ(mine->traces(0).trace_id(), "tr-a");
  EXPECT_EQ(mine->traces(0).span_count(), 2);
  EXPECT_EQ(mine->traces(0).root_name(), "op-root");
  auto admin = store_->ListTraces(t1_admin_, v1::ListTracesRequest());
  ASSERT_THAT(admin, IsOk());
  EXPECT_EQ(admin->traces_size(), 2);
}

TEST_F(PgTraceStoreTest, RawUpdateAndDeleteFailForTheServiceRole) {
  const pg::PrincipalScope alice{"t1", "alice", pg::AdminLevel::kNone};
  for (const char* sql :
       {"UPDATE bastion_data.spans SET name = 'x'",
        "DELETE FROM bastion_data.spans",
        "UPDATE bastion_data.audit_events SET action = 'x'",
        "DELETE FROM bastion_data.audit_events"}) {
    EXPECT_THAT(pg::RunAsPrincipal(*pool_, alice, {{sql, {}}}),
                StatusIs(absl::StatusCode::kInternal))
        << sql;
  }
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(trace->spans_size(), 2);
  EXPECT_TRUE(trace->chain_valid());
}

class PgTraceStoreConcurrencyTest : public PgTraceStoreTest {
 protected:
  int PoolSize() const override { return 4; }
};

TEST_F(PgTraceStoreConcurrencyTest, ConcurrentAppendsKeepOneChain) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->AppendSpans(alice_, Append({MakeSpan("tr-a", id)})).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto trace = store_->GetTrace(alice_, Get("tr-a"));
  ASSERT_THAT(trace, IsOk());
  EXPECT_EQ(trace->spans_size(), 22);
  EXPECT_TRUE(trace->chain_valid());
}

TEST_F(PgTraceStoreTest, RejectsBadSpans) {
  v1::Span bad = MakeSpan("tr-c", "s");
  bad.set_attributes_json("[1]");
  EXPECT_THAT(store_->AppendSpans(alice_, Append({bad})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = MakeSpan("tr c", "s");
  EXPECT_THAT(store_->AppendSpans(alice_, Append({bad})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = MakeSpan("tr-c", "s");
  bad.set_end_time_unix_nano(1);
  EXPECT_THAT(store_->AppendSpans(alice_, Append({bad})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->AppendSpans(alice_, v1::AppendSpansRequest()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion::data::storage
