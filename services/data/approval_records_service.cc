#include "services/data/approval_records_service.h"

#include <utility>

#include "services/data/answer.h"

namespace bastion::data {

ApprovalRecordsService::ApprovalRecordsService(domain::Approvals* domain,
                                               CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* ApprovalRecordsService::CreateApproval(
    grpc::CallbackServerContext* context,
    const v1::CreateApprovalRequest* request, v1::Approval* response) {
  return Finish(
      context,
      guard_.Run(context, "CreateApproval", *request, [&](const Caller& c) {
        return Answer(domain_->CreateApproval(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::GetApproval(
    grpc::CallbackServerContext* context, const v1::GetApprovalRequest* request,
    v1::Approval* response) {
  return Finish(
      context,
      guard_.Run(context, "GetApproval", *request, [&](const Caller& c) {
        return Answer(domain_->GetApproval(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::ListApprovals(
    grpc::CallbackServerContext* context,
    const v1::ListApprovalsRequest* request,
    v1::ListApprovalsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListApprovals", *request, [&](const Caller& c) {
        return Answer(domain_->ListApprovals(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::ResolveApproval(
    grpc::CallbackServerContext* context,
    const v1::ResolveApprovalRequest* request, v1::Approval* response) {
  return Finish(
      context,
      guard_.Run(context, "ResolveApproval", *request, [&](const Caller& c) {
        return Answer(domain_->ResolveApproval(c, *request), response);
      }));
}

}  // namespace bastion::data
