#include "services/data/approval_records_service.h"

#include <utility>

#include "common/status/status_macros.h"
#include "services/data/answer.h"
#include "services/data/run_binding.h"

namespace bastion::data {
namespace {

constexpr absl::string_view kApprovalNotFound = "approval not found";

}  // namespace

ApprovalRecordsService::ApprovalRecordsService(storage::ApprovalStore* store,
                                               CallGuard guard)
    : store_(store), guard_(std::move(guard)) {}

grpc::Status ApprovalRecordsService::CreateApproval(
    grpc::ServerContext* context, const v1::CreateApprovalRequest* request,
    v1::Approval* response) {
  return guard_.Run(context, "CreateApproval", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), "run not found"));
    return Answer(store_->CreateApproval(c, *request), response);
  });
}

grpc::Status ApprovalRecordsService::GetApproval(
    grpc::ServerContext* context, const v1::GetApprovalRequest* request,
    v1::Approval* response) {
  return guard_.Run(context, "GetApproval", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(Answer(store_->GetApproval(c, *request), response));
    return CheckBoundRun(c, response->run_id(), kApprovalNotFound);
  });
}

grpc::Status ApprovalRecordsService::ListApprovals(
    grpc::ServerContext* context, const v1::ListApprovalsRequest* request,
    v1::ListApprovalsResponse* response) {
  return guard_.Run(context, "ListApprovals", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(Answer(store_->ListApprovals(c, *request), response));
    KeepBoundRun(c, response->mutable_approvals(),
                 [](const v1::Approval& approval) { return approval.run_id(); });
    return absl::OkStatus();
  });
}

grpc::Status ApprovalRecordsService::ResolveApproval(
    grpc::ServerContext* context, const v1::ResolveApprovalRequest* request,
    v1::Approval* response) {
  return guard_.Run(context, "ResolveApproval", *request, [&](const Caller& c) {
    if (!c.delegation_run_id.empty()) {
      // Another run's approval is left untouched.
      v1::GetApprovalRequest get;
      get.set_approval_id(request->approval_id());
      ASSIGN_OR_RETURN(v1::Approval approval, store_->GetApproval(c, get));
      RETURN_IF_ERROR(
          CheckBoundRun(c, approval.run_id(), kApprovalNotFound));
    }
    return Answer(store_->ResolveApproval(c, *request), response);
  });
}

}  // namespace bastion::data
