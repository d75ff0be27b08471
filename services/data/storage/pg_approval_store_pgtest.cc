// PgApprovalStore against a real PostgreSQL: the approval rules (not the
// requester, once, unexpired, same arguments), races, isolation, counts and
// the audit of each approval's life.
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

// The arguments of the approvals made here, and their SHA-256.
const std::string kArguments = R"({"amount":100})";
const std::string kHash =
    "4d4bbe59c6aad22442cde199a6a8a5f034405fcd78fb5a81c24ef249de1c45f1";
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
    r.set_arguments_json(kArguments);
    r.set_ttl_seconds(600);
    return r;
  }

  // Whether a superuser's script gets past the schema's checks.
  bool SuperuserScriptOk(const char* sql) {
    auto conn = pg::PgConnection::Connect(db_->superuser_conninfo());
    EXPECT_TRUE(conn.ok()) << conn.status();
    return conn.ok() && (*conn)->ExecuteScript(sql).ok();
  }

  static v1::CreateApprovalRequest NewAudit(const std::string& id) {
    v1::CreateApprovalRequest r = NewApproval(id, "r1");
    r.set_ttl_seconds(0);
    r.set_kind(v1::APPROVAL_KIND_AUDIT);
    r.set_audit_decision(v1::APPROVAL_DECISION_APPROVE);
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

TEST_F(PgApprovalStoreTest, ArgumentsAreStoredWithTheirHashOnly) {
  auto seen = store_->GetApproval(approver_, Get("ap1"));
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->arguments_json(), kArguments);
  // Lists leave them out (each may be 1 MiB).
  auto listed = store_->ListApprovals(approver_, v1::ListApprovalsRequest());
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->approvals_size(), 1);
  EXPECT_EQ(listed->approvals(0).arguments_json(), "");
  auto other = NewApproval("ap2", "r1");
  other.set_tool_call_id("tc-other");
  other.set_arguments_json(R"({"amount":1000000})");
  EXPECT_THAT(store_->CreateApproval(alice_, other),
              StatusIs(absl::StatusCode::kInvalidArgument));
  other.set_arguments_json("");
  EXPECT_THAT(store_->CreateApproval(alice_, other),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PgApprovalStoreTest, CountsWhatTheCallerMaySee) {
  v1::CreateRunRequest run;
  run.set_run_id("r2");
  run.set_component_type(common::v1::COMPONENT_TYPE_AGENT);
  run.set_component_id("a");
  ASSERT_THAT(runs_->CreateRun(bob_, run), IsOk());
  ASSERT_THAT(store_->CreateApproval(bob_, NewApproval("ap2", "r2")), IsOk());
  ASSERT_THAT(store_->CreateApproval(bob_, [] {
                auto r = NewApproval("ap3", "r2");
                r.set_tool_call_id("tc-ap3");
                return r;
              }()),
              IsOk());
  ASSERT_THAT(store_->ResolveApproval(
                  approver_, Resolve("ap3", v1::APPROVAL_DECISION_REJECT)),
              IsOk());
  auto count = [&](const Caller& who, v1::ApprovalStatus status,
                   const std::string& run_id = "") -> int64_t {
    v1::CountApprovalsRequest r;
    r.set_status(status);
    r.set_run_id(run_id);
    auto counted = store_->CountApprovals(who, r);
    EXPECT_THAT(counted, IsOk());
    return counted.ok() ? counted->count() : -1;
  };
  // Each requester its own; the approver (and a tenant admin) the tenant's.
  EXPECT_EQ(count(alice_, v1::APPROVAL_STATUS_UNSPECIFIED), 1);
  EXPECT_EQ(count(bob_, v1::APPROVAL_STATUS_UNSPECIFIED), 2);
  EXPECT_EQ(count(bob_, v1::APPROVAL_STATUS_PENDING), 1);
  EXPECT_EQ(count(approver_, v1::APPROVAL_STATUS_UNSPECIFIED), 3);
  EXPECT_EQ(count(approver_, v1::APPROVAL_STATUS_PENDING), 2);
  EXPECT_EQ(count(approver_, v1::APPROVAL_STATUS_REJECTED), 1);
  EXPECT_EQ(count(approver_, v1::APPROVAL_STATUS_PENDING, "r1"), 1);
  EXPECT_EQ(count(t1_admin_, v1::APPROVAL_STATUS_UNSPECIFIED), 3);
  // Another tenant's approver and admin count nothing of t1.
  EXPECT_EQ(count(t2_approver_, v1::APPROVAL_STATUS_UNSPECIFIED), 0);
  EXPECT_EQ(count(t2_admin_, v1::APPROVAL_STATUS_UNSPECIFIED), 0);
  // Counts agree with the lists.
  v1::ListApprovalsRequest pending;
  pending.set_status(v1::APPROVAL_STATUS_PENDING);
  auto listed = store_->ListApprovals(approver_, pending);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->approvals_size(), 2);
  v1::CountApprovalsRequest bad;
  bad.set_status(static_cast<v1::ApprovalStatus>(99));
  EXPECT_THAT(store_->CountApprovals(approver_, bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PgApprovalStoreTest, RequestDecisionsAndExpiryAreAudited) {
  ASSERT_THAT(store_->CreateApproval(alice_, [] {
                auto r = NewApproval("ap2", "r1");
                r.set_tool_call_id("tc-ap2");
                return r;
              }()),
              IsOk());
  ASSERT_THAT(store_->CreateApproval(alice_, [] {
                auto r = NewApproval("ap3", "r1");
                r.set_tool_call_id("tc-ap3");
                return r;
              }()),
              IsOk());
  ASSERT_THAT(store_->ResolveApproval(
                  approver_, Resolve("ap1", v1::APPROVAL_DECISION_APPROVE)),
              IsOk());
  auto rejected = Resolve("ap2", v1::APPROVAL_DECISION_REJECT);
  rejected.set_reason("too much");
  ASSERT_THAT(store_->ResolveApproval(approver_, rejected), IsOk());
  SuperuserScript(
      "UPDATE bastion_data.approvals SET created_at = now() - interval '2 h',"
      " expires_at = now() - interval '1 h' WHERE approval_id = 'ap3'");
  // The expiry is recorded by the first read that meets it, and only once.
  ASSERT_THAT(store_->ListApprovals(approver_, v1::ListApprovalsRequest()),
              IsOk());
  auto expired = store_->GetApproval(alice_, Get("ap3"));
  ASSERT_THAT(expired, IsOk());
  EXPECT_EQ(expired->status(), v1::APPROVAL_STATUS_EXPIRED);
  EXPECT_THAT(store_->ResolveApproval(
                  approver_, Resolve("ap3", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(SuperuserScalar(
                "SELECT status FROM bastion_data.approvals"
                " WHERE approval_id = 'ap3'"),
            "expired");
  // action, actor, whose, the approval, and when (every row has a time).
  EXPECT_EQ(SuperuserScalar(
                "SELECT string_agg(action || ' ' || user_id || ' ' ||"
                " target_user_id || ' ' || resource_id || ' ' ||"
                " coalesce(detail->>'reason', ''), E'\\n'"
                " ORDER BY resource_id, action)"
                " FROM bastion_data.audit_events"
                " WHERE action NOT IN ('approvals.list', 'approvals.get',"
                " 'approvals.resolve') AND occurred_at IS NOT NULL"),
            "approvals.approved dave alice ap1 \n"
            "approvals.requested alice alice ap1 \n"
            "approvals.rejected dave alice ap2 too much\n"
            "approvals.requested alice alice ap2 \n"
            "approvals.expired dave alice ap3 \n"
            "approvals.requested alice alice ap3 ");
}

TEST_F(PgApprovalStoreTest, AnAuditRecordIsTheOwnersDecisionResolvedWhenMade) {
  v1::CreateApprovalRequest audit = NewApproval("au1", "r1");
  audit.set_ttl_seconds(0);
  audit.set_kind(v1::APPROVAL_KIND_AUDIT);
  audit.set_audit_decision(v1::APPROVAL_DECISION_APPROVE);
  auto recorded = store_->CreateApproval(alice_, audit);
  ASSERT_THAT(recorded, IsOk());
  EXPECT_EQ(recorded->kind(), v1::APPROVAL_KIND_AUDIT);
  EXPECT_EQ(recorded->status(), v1::APPROVAL_STATUS_APPROVED);
  EXPECT_EQ(recorded->requester_user_id(), "alice");
  EXPECT_EQ(recorded->resolver_user_id(), "alice");
  EXPECT_GT(recorded->resolved_at_unix_micros(), 0);

  v1::CreateApprovalRequest refused = NewApproval("au2", "r1");
  refused.set_ttl_seconds(0);
  refused.set_kind(v1::APPROVAL_KIND_AUDIT);
  refused.set_audit_decision(v1::APPROVAL_DECISION_REJECT);
  auto rejected = store_->CreateApproval(alice_, refused);
  ASSERT_THAT(rejected, IsOk());
  EXPECT_EQ(rejected->status(), v1::APPROVAL_STATUS_REJECTED);

  // Approvers see the kind; the earlier approval stays an approval.
  auto seen = store_->GetApproval(approver_, Get("au1"));
  ASSERT_THAT(seen, IsOk());
  EXPECT_EQ(seen->kind(), v1::APPROVAL_KIND_AUDIT);
  auto approval = store_->GetApproval(approver_, Get("ap1"));
  ASSERT_THAT(approval, IsOk());
  EXPECT_EQ(approval->kind(), v1::APPROVAL_KIND_APPROVAL);
  v1::ListApprovalsRequest list;
  list.set_status(v1::APPROVAL_STATUS_APPROVED);
  auto listed = store_->ListApprovals(approver_, list);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->approvals_size(), 1);
  EXPECT_EQ(listed->approvals(0).kind(), v1::APPROVAL_KIND_AUDIT);

  // Resolved already: no one resolves it again.
  EXPECT_THAT(store_->ResolveApproval(
                  approver_, Resolve("au2", v1::APPROVAL_DECISION_APPROVE)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Only for the caller's own run; the request's rules hold.
  EXPECT_THAT(store_->CreateApproval(bob_, NewAudit("au3")),
              StatusIs(absl::StatusCode::kNotFound));
  v1::CreateApprovalRequest undecided = NewAudit("au4");
  undecided.clear_audit_decision();
  EXPECT_THAT(store_->CreateApproval(alice_, undecided),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::CreateApprovalRequest expiring = NewAudit("au5");
  expiring.set_ttl_seconds(600);
  EXPECT_THAT(store_->CreateApproval(alice_, expiring),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::CreateApprovalRequest decided = NewApproval("ap9", "r1");
  decided.set_audit_decision(v1::APPROVAL_DECISION_APPROVE);
  EXPECT_THAT(store_->CreateApproval(alice_, decided),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Audited in the same statement, as the owner's own decision.
  EXPECT_EQ(SuperuserScalar(
                "SELECT string_agg(action || ' ' || user_id || ' ' ||"
                " target_user_id || ' ' || resource_id || ' ' ||"
                " (detail->>'kind'), E'\\n' ORDER BY resource_id)"
                " FROM bastion_data.audit_events"
                " WHERE action LIKE 'approvals.audit_%'"),
            "approvals.audit_approved alice alice au1 audit\n"
            "approvals.audit_rejected alice alice au2 audit");
  // The schema holds the rules too: an approval's resolver is never its
  // requester, an audit row's always is.
  EXPECT_FALSE(SuperuserScriptOk(
      "UPDATE bastion_data.approvals SET status = 'approved',"
      " resolver_user_id = user_id, resolved_at = now()"
      " WHERE approval_id = 'ap1'"));
  EXPECT_FALSE(SuperuserScriptOk(
      "UPDATE bastion_data.approvals SET resolver_user_id = 'dave'"
      " WHERE approval_id = 'au1'"));
}

}  // namespace
}  // namespace bastion::data::storage
