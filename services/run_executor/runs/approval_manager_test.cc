// ApprovalManager over an in-memory ApprovalRecords: the public mapping,
// the four-eyes and once-only refusals made before data is asked to
// resolve, and the stored hash handed to data's compare-and-set.
#include "services/run_executor/runs/approval_manager.h"

#include <map>
#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

Caller CallerOf(const std::string& subject, const std::string& tenant = "t1") {
  Caller caller;
  caller.principal.set_subject(subject);
  caller.principal.set_tenant_id(tenant);
  caller.assertion = "assertion-of-" + subject;
  return caller;
}

// Holds records by id and shows each caller every one (visibility is
// data's business, tested there); records the requests it got.
class FakeRecords final : public ApprovalRecords {
 public:
  absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller&, const data::v1::GetApprovalRequest& request) override {
    auto found = records.find(request.approval_id());
    if (found == records.end()) return absl::NotFoundError("approval not found");
    return found->second;
  }
  absl::StatusOr<data::v1::ListApprovalsResponse> ListApprovals(
      const Caller&, const data::v1::ListApprovalsRequest& request) override {
    lists.push_back(request);
    data::v1::ListApprovalsResponse response;
    for (const auto& [id, record] : records) *response.add_approvals() = record;
    response.mutable_page()->set_next_cursor("next");
    return response;
  }
  absl::StatusOr<data::v1::CountApprovalsResponse> CountApprovals(
      const Caller&, const data::v1::CountApprovalsRequest& request) override {
    counts.push_back(request);
    data::v1::CountApprovalsResponse response;
    response.set_count(static_cast<int64_t>(records.size()));
    return response;
  }
  absl::StatusOr<data::v1::Approval> ResolveApproval(
      const Caller& caller,
      const data::v1::ResolveApprovalRequest& request) override {
    resolves.push_back(request);
    data::v1::Approval& record = records.at(request.approval_id());
    record.set_status(request.decision() == data::v1::APPROVAL_DECISION_APPROVE
                          ? data::v1::APPROVAL_STATUS_APPROVED
                          : data::v1::APPROVAL_STATUS_REJECTED);
    record.set_resolver_user_id(caller.principal.subject());
    record.set_resolved_at_unix_micros(1700000100999999);
    return record;
  }

  std::map<std::string, data::v1::Approval> records;
  std::vector<data::v1::ListApprovalsRequest> lists;
  std::vector<data::v1::CountApprovalsRequest> counts;
  std::vector<data::v1::ResolveApprovalRequest> resolves;
};

class ApprovalManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"pb(approval_id: "ap1" run_id: "r1" tool_call_id: "call-1"
             tool_name: "transfer" args_sha256: "abc" requester_user_id: "mia"
             tenant_id: "t1" status: APPROVAL_STATUS_PENDING
             created_at_unix_micros: 1700000000123456
             expires_at_unix_micros: 1700000600000000
             arguments_json: "{\"amount\":5}")pb",
        &records_.records["ap1"]));
  }

  v1::ResolveApprovalRequest Resolve(bool approve) {
    v1::ResolveApprovalRequest request;
    request.set_approval_id("ap1");
    request.set_approve(approve);
    return request;
  }

  FakeRecords records_;
  ApprovalManager manager_{&records_};
};

TEST_F(ApprovalManagerTest, ShowsDataRecordsAsPublicApprovals) {
  v1::GetApprovalRequest get;
  get.set_approval_id("ap1");
  auto approval = manager_.Get(CallerOf("rex"), get);
  ASSERT_THAT(approval, IsOk());
  v1::Approval want;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(approval_id: "ap1" run_id: "r1" tool_call_id: "call-1"
           tool_name: "transfer" arguments_json: "{\"amount\":5}"
           arguments_sha256: "abc" requester: "mia"
           status: APPROVAL_STATUS_PENDING created_at_unix: 1700000000
           expires_at_unix: 1700000600 tenant_id: "t1"
           kind: APPROVAL_KIND_APPROVAL)pb",
      &want));
  EXPECT_EQ(approval->DebugString(), want.DebugString());
  get.set_approval_id("nope");
  EXPECT_THAT(manager_.Get(CallerOf("rex"), get),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ApprovalManagerTest, ListAndCountPassTheFilterAndPage) {
  v1::ListApprovalsRequest list;
  list.set_status(v1::APPROVAL_STATUS_EXPIRED);
  list.mutable_page()->set_limit(7);
  list.mutable_page()->set_cursor("tok");
  auto listed = manager_.List(CallerOf("rex"), list);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->approvals_size(), 1);
  EXPECT_EQ(listed->approvals(0).created_at_unix(), 1700000000);
  EXPECT_EQ(listed->page().next_cursor(), "next");
  ASSERT_EQ(records_.lists.size(), 1u);
  EXPECT_EQ(records_.lists[0].status(), data::v1::APPROVAL_STATUS_EXPIRED);
  EXPECT_EQ(records_.lists[0].page().limit(), 7);
  EXPECT_EQ(records_.lists[0].page().cursor(), "tok");

  v1::CountApprovalsRequest count;
  count.set_status(v1::APPROVAL_STATUS_PENDING);
  auto counted = manager_.Count(CallerOf("rex"), count);
  ASSERT_THAT(counted, IsOk());
  EXPECT_EQ(counted->count(), 1);
  ASSERT_EQ(records_.counts.size(), 1u);
  EXPECT_EQ(records_.counts[0].status(), data::v1::APPROVAL_STATUS_PENDING);

  count.set_status(static_cast<v1::ApprovalStatus>(42));
  EXPECT_THAT(manager_.Count(CallerOf("rex"), count),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ApprovalManagerTest, ResolvesWithTheStoredHashOnce) {
  auto approved = manager_.Resolve(CallerOf("rex"), Resolve(true));
  ASSERT_THAT(approved, IsOk());
  EXPECT_EQ(approved->status(), v1::APPROVAL_STATUS_APPROVED);
  EXPECT_EQ(approved->resolved_by(), "rex");
  EXPECT_EQ(approved->resolved_at_unix(), 1700000100);
  ASSERT_EQ(records_.resolves.size(), 1u);
  EXPECT_EQ(records_.resolves[0].expected_args_sha256(), "abc");
  EXPECT_EQ(records_.resolves[0].decision(), data::v1::APPROVAL_DECISION_APPROVE);
  // Resolved: a second decision is refused before data is asked.
  EXPECT_THAT(manager_.Resolve(CallerOf("ann"), Resolve(false)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(records_.resolves.size(), 1u);
}

TEST_F(ApprovalManagerTest, RejectsAsRejection) {
  auto rejected = manager_.Resolve(CallerOf("rex"), Resolve(false));
  ASSERT_THAT(rejected, IsOk());
  EXPECT_EQ(rejected->status(), v1::APPROVAL_STATUS_REJECTED);
  EXPECT_EQ(records_.resolves[0].decision(), data::v1::APPROVAL_DECISION_REJECT);
}

TEST_F(ApprovalManagerTest, TheRequesterNeverResolvesItsOwn) {
  Caller mia = CallerOf("mia");
  mia.approver = true;
  mia.admin_level = AdminLevel::kTenant;
  EXPECT_THAT(manager_.Resolve(mia, Resolve(true)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(records_.resolves.empty());
}

TEST_F(ApprovalManagerTest, AnExpiredApprovalCannotBeApproved) {
  records_.records["ap1"].set_status(data::v1::APPROVAL_STATUS_EXPIRED);
  EXPECT_THAT(manager_.Resolve(CallerOf("rex"), Resolve(true)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(records_.resolves.empty());
}

TEST_F(ApprovalManagerTest, AnApprovalTheCallerCannotSeeIsNotFound) {
  v1::ResolveApprovalRequest request = Resolve(true);
  request.set_approval_id("elsewhere");
  EXPECT_THAT(manager_.Resolve(CallerOf("rex"), request),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(records_.resolves.empty());
}

TEST(PublicApprovalTest, RoundsMicrosecondsDown) {
  data::v1::Approval record;
  record.set_created_at_unix_micros(1999999);
  record.set_expires_at_unix_micros(-1);
  const v1::Approval approval = PublicApproval(record);
  EXPECT_EQ(approval.created_at_unix(), 1);
  EXPECT_EQ(approval.expires_at_unix(), -1);
  EXPECT_EQ(approval.resolved_at_unix(), 0);
}

TEST(PublicApprovalTest, ShowsTheKind) {
  data::v1::Approval record;
  EXPECT_EQ(PublicApproval(record).kind(), v1::APPROVAL_KIND_APPROVAL);
  record.set_kind(data::v1::APPROVAL_KIND_AUDIT);
  EXPECT_EQ(PublicApproval(record).kind(), v1::APPROVAL_KIND_AUDIT);
}

}  // namespace
}  // namespace bastion::runs
