#include "services/data/approval_records_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"
#include "common/status/status_macros.h"
#include "services/data/run_binding.h"

namespace bastion::data {
namespace {

constexpr absl::string_view kApprovalNotFound = "approval not found";

}  // namespace

ApprovalRecordsService::ApprovalRecordsService(domain::Approvals* domain,
                                               CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* ApprovalRecordsService::CreateApproval(
    grpc::CallbackServerContext* context,
    const v1::CreateApprovalRequest* request, v1::Approval* response) {
  return Finish(
      context,
      guard_.Run(context, "CreateApproval", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), "run not found"));
        return Answer(domain_->CreateApproval(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::GetApproval(
    grpc::CallbackServerContext* context, const v1::GetApprovalRequest* request,
    v1::Approval* response) {
  return Finish(
      context,
      guard_.Run(context, "GetApproval", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(Answer(domain_->GetApproval(c, *request), response));
        return CheckBoundRun(c, response->run_id(), kApprovalNotFound);
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::ListApprovals(
    grpc::CallbackServerContext* context,
    const v1::ListApprovalsRequest* request,
    v1::ListApprovalsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListApprovals", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(Answer(domain_->ListApprovals(c, *request), response));
        KeepBoundRun(c, response->mutable_approvals(),
                     [](const v1::Approval& a) { return a.run_id(); });
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::CountApprovals(
    grpc::CallbackServerContext* context,
    const v1::CountApprovalsRequest* request,
    v1::CountApprovalsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "CountApprovals", *request, [&](const Caller& c) {
        // A delegation counts its own run's approvals only.
        v1::CountApprovalsRequest bound = *request;
        if (!c.delegation_run_id.empty()) {
          if (!bound.run_id().empty() && !BoundRunAllows(c, bound.run_id())) {
            response->set_count(0);
            return absl::OkStatus();
          }
          bound.set_run_id(c.delegation_run_id);
        }
        return Answer(domain_->CountApprovals(c, bound), response);
      }));
}

grpc::ServerUnaryReactor* ApprovalRecordsService::ResolveApproval(
    grpc::CallbackServerContext* context,
    const v1::ResolveApprovalRequest* request, v1::Approval* response) {
  return Finish(
      context,
      guard_.Run(context, "ResolveApproval", *request, [&](const Caller& c) {
        if (!c.delegation_run_id.empty()) {
          // Another run's approval is left untouched.
          v1::GetApprovalRequest get;
          get.set_approval_id(request->approval_id());
          ASSIGN_OR_RETURN(v1::Approval approval, domain_->GetApproval(c, get));
          RETURN_IF_ERROR(CheckBoundRun(c, approval.run_id(), kApprovalNotFound));
        }
        return Answer(domain_->ResolveApproval(c, *request), response);
      }));
}

}  // namespace bastion::data
