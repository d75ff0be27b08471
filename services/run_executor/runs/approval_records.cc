#include "services/run_executor/runs/approval_records.h"

#include <utility>

#include "services/run_executor/runs/data_call.h"

namespace bastion::runs {
namespace {

class GrpcApprovalRecords final : public runs::ApprovalRecords {
 public:
  explicit GrpcApprovalRecords(std::shared_ptr<grpc::Channel> channel)
      : stub_(data::v1::ApprovalRecords::NewStub(std::move(channel))) {}

  absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller& caller,
      const data::v1::GetApprovalRequest& request) override {
    return CallData<data::v1::Approval>(
        caller, "GetApproval",
        [&](auto* c, auto* r) { return stub_->GetApproval(c, request, r); });
  }
  absl::StatusOr<data::v1::ListApprovalsResponse> ListApprovals(
      const Caller& caller,
      const data::v1::ListApprovalsRequest& request) override {
    return CallData<data::v1::ListApprovalsResponse>(
        caller, "ListApprovals",
        [&](auto* c, auto* r) { return stub_->ListApprovals(c, request, r); });
  }
  absl::StatusOr<data::v1::CountApprovalsResponse> CountApprovals(
      const Caller& caller,
      const data::v1::CountApprovalsRequest& request) override {
    return CallData<data::v1::CountApprovalsResponse>(
        caller, "CountApprovals",
        [&](auto* c, auto* r) { return stub_->CountApprovals(c, request, r); });
  }
  absl::StatusOr<data::v1::Approval> ResolveApproval(
      const Caller& caller,
      const data::v1::ResolveApprovalRequest& request) override {
    return CallData<data::v1::Approval>(
        caller, "ResolveApproval",
        [&](auto* c, auto* r) { return stub_->ResolveApproval(c, request, r); });
  }

 private:
  std::unique_ptr<data::v1::ApprovalRecords::Stub> stub_;
};

}  // namespace

std::unique_ptr<ApprovalRecords> DataChannelApprovalRecords(
    std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcApprovalRecords>(std::move(channel));
}

}  // namespace bastion::runs
