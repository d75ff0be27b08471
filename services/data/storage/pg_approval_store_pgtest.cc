// PgApprovalStore against a real PostgreSQL: the approval rules (not the
// requester, once, unexpired, same arguments), races and isolation.
#include "services/data/storage/pg_approval_store.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/data/storage/pg_run_store.h"
#include "services/data/storage/store_test_support.h"

namespace bastion::data::storage {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

const std::string kHash(64, 'a');
const std::string kOtherHash(64, 'b');

class PgApprovalStoreTest : public StoreTest {
 protected:
  int PoolSize() const override { return 4; }

  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure()) return;
    runs_ = std::make_unique<PgRuns>(*pool_);
    store_ = std::make_unique<PgApprovals>(*pool_);
    v1::CreateRunRequest run;
    run.set_run_id("r1");
    run.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
    run.set_component_id("a");
    ASSERT_THAT(runs_->CreateRun(alice_, run), IsOk());
    auto created = store_->CreateApproval(alice_, NewApproval("ap1", "r1"));
    ASSERT_THAT(created, IsOk());
    EXPECT_EQ(created->status(), v1::APPROVAL_STATUS_PENDING);
    EXPECT_EQ(created->requester_user_id(), "alice");
  }

  static v1::CreateApprovalRequest NewApproval(const std::string& id,
                                               const std::string& run) {
    v1::CreateApprovalRequest r;
    r.set_approval_id(id);
    r.set_run_id(run);
    r.set_tool_call_id("tc-" + id);
    r.set_tool_name("transfer");
    r.set_args_sha256(kHash);
    r.set_ttl_seconds(600);
    return r;
  }

  static v1::ResolveApprovalRequest Resolve(
      const std::string& id, v1::ApprovalDecision decision,
      const std::string& hash = kHash) {
    v1::ResolveApprovalRequest r;
    r.set_approval_id(id);
    r.set_decision(decision);
    r.set_expected_args_sha256(hash);
    return r;
  }

  static v1::GetApprovalRequest Get(const std::string& id) {
    v1::GetApprovalRequest r;
    r.set_approval_id(id);
    return r;
  }

  const Caller approver_ =
      MakeCaller("t1", "dave", {}, AdminLevel::kNone, /*approver=*/true);
  const Caller t2_approver_ =
      MakeCaller("t2", "erin", {}, AdminLevel::kNone, /*approver=*/true);
  std::unique_ptr<PgRuns> runs_;
  std::unique_ptr<PgApprovals> store_;
};

TEST_F(PgApprovalStoreTest, ApproverResolvesOnce) {
  auto approved =
      store_->ResolveApproval(approver_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE));
  ASSERT_THAT(approved, IsOk());
  EXPECT_EQ(approved->status(), v1::APPROVAL_STATUS_APPROVED);
  EXPECT_EQ(approved->resolver_user_id(), "dave");
  EXPECT_GT(approved->resolved_at_unix_micros(), 0);
  EXPECT_THAT(store_->ResolveApproval(
                  approver_, Resolve("ap1", v1::APPROVAL_DECISION_REJECT)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto seen = store_->GetApproval(alice_, Get("ap1"));
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->status(), v1::APPROVAL_STATUS_APPROVED);
  EXPECT_EQ(SuperuserScalar("SELECT count(*) FROM bastion_data.audit_events"
                            " WHERE user_id = 'dave'"
                            " AND action = 'approvals.resolve'"),
            "2");
}

TEST_F(PgApprovalStoreTest, RequesterCannotApproveItsOwnCall) {
  const auto self_approver =
      MakeCaller("t1", "alice", {}, AdminLevel::kNone, /*approver=*/true);
  EXPECT_THAT(store_->ResolveApproval(
                  alice_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->ResolveApproval(
                  self_approver, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  auto seen = store_->GetApproval(alice_, Get("ap1"));
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->status(), v1::APPROVAL_STATUS_PENDING);
}

TEST_F(PgApprovalStoreTest, DifferentArgumentsAreRefused) {
  EXPECT_THAT(store_->ResolveApproval(
                  approver_,
                  Resolve("ap1", v1::APPROVAL_DECISION_APPROVE, kOtherHash)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(PgApprovalStoreTest, ExpiredCannotBeUsed) {
  SuperuserScript(
      "UPDATE bastion_data.approvals SET created_at = now() - interval '2 h',"
      " expires_at = now() - interval '1 h' WHERE approval_id = 'ap1'");
  auto seen = store_->GetApproval(alice_, Get("ap1"));
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->status(), v1::APPROVAL_STATUS_EXPIRED);
  EXPECT_THAT(store_->ResolveApproval(
                  approver_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  v1::ListApprovalsRequest pending;
  pending.set_status(v1::APPROVAL_STATUS_PENDING);
  auto list = store_->ListApprovals(approver_, pending);
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->approvals_size(), 0);
}

TEST_F(PgApprovalStoreTest, NonApproversAndOtherTenantsSeeNothing) {
  EXPECT_THAT(store_->GetApproval(bob_, Get("ap1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ResolveApproval(
                  bob_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetApproval(t2_approver_, Get("ap1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ResolveApproval(
                  t2_approver_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->ResolveApproval(
                  t2_admin_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kNotFound));
  auto bobs = store_->ListApprovals(bob_, v1::ListApprovalsRequest());
  ASSERT_THAT(bobs, IsOk());
  EXPECT_EQ(bobs->approvals_size(), 0);
  auto daves = store_->ListApprovals(approver_, v1::ListApprovalsRequest());
  ASSERT_THAT(daves, IsOk());
  EXPECT_EQ(daves->approvals_size(), 1);
}

TEST_F(PgApprovalStoreTest, OnlyForOwnRuns) {
  EXPECT_THAT(store_->CreateApproval(bob_, NewApproval("ap2", "r1")),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->CreateApproval(alice_, NewApproval("ap1", "r1")),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto bad = NewApproval("ap3", "r1");
  bad.set_args_sha256("XYZ");
  EXPECT_THAT(store_->CreateApproval(alice_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PgApprovalStoreTest, ConcurrentResolversWinExactlyOnce) {
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const auto me = MakeCaller("t1", "approver" + std::to_string(t), {},
                                 AdminLevel::kNone, /*approver=*/true);
      auto r = store_->ResolveApproval(
          me, Resolve("ap1", t % 2 ? v1::APPROVAL_DECISION_APPROVE
                                   : v1::APPROVAL_DECISION_REJECT));
      if (r.ok()) {
        ++ok;
      } else if (r.status().code() == absl::StatusCode::kFailedPrecondition) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 7);
}

}  // namespace
}  // namespace bastion::data::storage
