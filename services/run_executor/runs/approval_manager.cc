#include "services/run_executor/runs/approval_manager.h"

#include <utility>

#include "common/status/status_macros.h"

namespace bastion::runs {
namespace {

int64_t Seconds(int64_t micros) {
  // Rounded down, also before the epoch.
  return micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
}

v1::ApprovalStatus PublicStatus(data::v1::ApprovalStatus status) {
  switch (status) {
    case data::v1::APPROVAL_STATUS_PENDING:
      return v1::APPROVAL_STATUS_PENDING;
    case data::v1::APPROVAL_STATUS_APPROVED:
      return v1::APPROVAL_STATUS_APPROVED;
    case data::v1::APPROVAL_STATUS_REJECTED:
      return v1::APPROVAL_STATUS_REJECTED;
    case data::v1::APPROVAL_STATUS_EXPIRED:
      return v1::APPROVAL_STATUS_EXPIRED;
    default:
      return v1::APPROVAL_STATUS_UNSPECIFIED;
  }
}

absl::StatusOr<data::v1::ApprovalStatus> DataStatus(v1::ApprovalStatus status) {
  switch (status) {
    case v1::APPROVAL_STATUS_UNSPECIFIED:
      return data::v1::APPROVAL_STATUS_UNSPECIFIED;
    case v1::APPROVAL_STATUS_PENDING:
      return data::v1::APPROVAL_STATUS_PENDING;
    case v1::APPROVAL_STATUS_APPROVED:
      return data::v1::APPROVAL_STATUS_APPROVED;
    case v1::APPROVAL_STATUS_REJECTED:
      return data::v1::APPROVAL_STATUS_REJECTED;
    case v1::APPROVAL_STATUS_EXPIRED:
      return data::v1::APPROVAL_STATUS_EXPIRED;
    default:
      return absl::InvalidArgumentError("unknown status");
  }
}

}  // namespace

v1::Approval PublicApproval(const data::v1::Approval& record) {
  v1::Approval approval;
  approval.set_approval_id(record.approval_id());
  approval.set_run_id(record.run_id());
  approval.set_tool_call_id(record.tool_call_id());
  approval.set_tool_name(record.tool_name());
  approval.set_arguments_json(record.arguments_json());
  approval.set_arguments_sha256(record.args_sha256());
  approval.set_requester(record.requester_user_id());
  approval.set_status(PublicStatus(record.status()));
  approval.set_created_at_unix(Seconds(record.created_at_unix_micros()));
  approval.set_expires_at_unix(Seconds(record.expires_at_unix_micros()));
  approval.set_resolved_by(record.resolver_user_id());
  approval.set_resolved_at_unix(Seconds(record.resolved_at_unix_micros()));
  approval.set_tenant_id(record.tenant_id());
  approval.set_kind(record.kind() == data::v1::APPROVAL_KIND_AUDIT
                        ? v1::APPROVAL_KIND_AUDIT
                        : v1::APPROVAL_KIND_APPROVAL);
  return approval;
}

absl::StatusOr<v1::ListApprovalsResponse> ApprovalManager::List(
    const Caller& caller, const v1::ListApprovalsRequest& request) {
  data::v1::ListApprovalsRequest list;
  ASSIGN_OR_RETURN(data::v1::ApprovalStatus status,
                   DataStatus(request.status()));
  list.set_status(status);
  *list.mutable_page() = request.page();
  ASSIGN_OR_RETURN(data::v1::ListApprovalsResponse listed,
                   records_->ListApprovals(caller, list));
  v1::ListApprovalsResponse response;
  for (const data::v1::Approval& record : listed.approvals()) {
    *response.add_approvals() = PublicApproval(record);
  }
  *response.mutable_page() = listed.page();
  return response;
}

absl::StatusOr<v1::CountApprovalsResponse> ApprovalManager::Count(
    const Caller& caller, const v1::CountApprovalsRequest& request) {
  data::v1::CountApprovalsRequest count;
  ASSIGN_OR_RETURN(data::v1::ApprovalStatus status,
                   DataStatus(request.status()));
  count.set_status(status);
  ASSIGN_OR_RETURN(data::v1::CountApprovalsResponse counted,
                   records_->CountApprovals(caller, count));
  v1::CountApprovalsResponse response;
  response.set_count(counted.count());
  return response;
}

absl::StatusOr<v1::Approval> ApprovalManager::Get(
    const Caller& caller, const v1::GetApprovalRequest& request) {
  data::v1::GetApprovalRequest get;
  get.set_approval_id(request.approval_id());
  ASSIGN_OR_RETURN(data::v1::Approval record,
                   records_->GetApproval(caller, get));
  return PublicApproval(record);
}

absl::StatusOr<v1::Approval> ApprovalManager::Resolve(
    const Caller& caller, const v1::ResolveApprovalRequest& request) {
  data::v1::GetApprovalRequest get;
  get.set_approval_id(request.approval_id());
  ASSIGN_OR_RETURN(data::v1::Approval record,
                   records_->GetApproval(caller, get));
  // Four eyes: the requester never resolves its own call, not even as an
  // admin or approver (data refuses it too).
  if (record.requester_user_id() == caller.principal.subject() &&
      record.tenant_id() == caller.principal.tenant_id()) {
    return absl::FailedPreconditionError(
        "the requester cannot resolve its own approval");
  }
  if (record.status() == data::v1::APPROVAL_STATUS_EXPIRED) {
    return absl::FailedPreconditionError(
        "approval has expired (counts as rejected)");
  }
  if (record.status() != data::v1::APPROVAL_STATUS_PENDING) {
    return absl::FailedPreconditionError("approval is already resolved");
  }
  data::v1::ResolveApprovalRequest resolve;
  resolve.set_approval_id(record.approval_id());
  resolve.set_decision(request.approve() ? data::v1::APPROVAL_DECISION_APPROVE
                                         : data::v1::APPROVAL_DECISION_REJECT);
  // The approval covers exactly the arguments the resolver was shown.
  resolve.set_expected_args_sha256(record.args_sha256());
  ASSIGN_OR_RETURN(data::v1::Approval resolved,
                   records_->ResolveApproval(caller, resolve));
  return PublicApproval(resolved);
}

}  // namespace bastion::runs
