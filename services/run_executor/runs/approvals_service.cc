#include "services/run_executor/runs/approvals_service.h"

#include <utility>

#include "common/status/answer.h"

namespace bastion::runs {

ApprovalsService::ApprovalsService(ApprovalManager* manager, CallGuard guard)
    : manager_(manager), guard_(std::move(guard)) {}

grpc::Status ApprovalsService::ListApprovals(
    grpc::ServerContext* context, const v1::ListApprovalsRequest* request,
    v1::ListApprovalsResponse* response) {
  return guard_.Run(context, "ListApprovals", *request, [&](const Caller& c) {
    return Answer(manager_->List(c, *request), response);
  });
}

grpc::Status ApprovalsService::CountApprovals(
    grpc::ServerContext* context, const v1::CountApprovalsRequest* request,
    v1::CountApprovalsResponse* response) {
  return guard_.Run(context, "CountApprovals", *request, [&](const Caller& c) {
    return Answer(manager_->Count(c, *request), response);
  });
}

grpc::Status ApprovalsService::GetApproval(
    grpc::ServerContext* context, const v1::GetApprovalRequest* request,
    v1::Approval* response) {
  return guard_.Run(context, "GetApproval", *request, [&](const Caller& c) {
    return Answer(manager_->Get(c, *request), response);
  });
}

grpc::Status ApprovalsService::ResolveApproval(
    grpc::ServerContext* context, const v1::ResolveApprovalRequest* request,
    v1::Approval* response) {
  return guard_.Run(context, "ResolveApproval", *request, [&](const Caller& c) {
    return Answer(manager_->Resolve(c, *request), response);
  });
}

}  // namespace bastion::runs
