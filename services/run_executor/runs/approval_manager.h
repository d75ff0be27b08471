// The Approvals domain of run-executor: lists, counts, shows and resolves
// approvals of protected tool calls through data's ApprovalRecords, as the
// caller, and turns data's records into the public Approval.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVAL_MANAGER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVAL_MANAGER_H_

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"
#include "common/auth/caller.h"
#include "services/run_executor/runs/approval_records.h"

namespace bastion::runs {

// data's record as the public Approval: microseconds become seconds
// (rounded down), the stored arguments and their hash are shown as stored.
v1::Approval PublicApproval(const data::v1::Approval& record);

// Who sees what is data's decision, from authz's decision on each call
// (Caller::approver, admin level, as data's guard asks authz): an approver
// its tenant's approvals, anyone else its own requests; the rest is
// NOT_FOUND. Resolving also needs approvals:write, which the guard checked.
// Thread-safe; `records` must outlive it.
class ApprovalManager {
 public:
  explicit ApprovalManager(ApprovalRecords* records) : records_(records) {}

  absl::StatusOr<v1::ListApprovalsResponse> List(
      const Caller& caller, const v1::ListApprovalsRequest& request);
  absl::StatusOr<v1::CountApprovalsResponse> Count(
      const Caller& caller, const v1::CountApprovalsRequest& request);
  absl::StatusOr<v1::Approval> Get(const Caller& caller,
                                   const v1::GetApprovalRequest& request);
  // Approves or rejects, once: reads the approval as the caller (NOT_FOUND
  // when it may not see it), refuses the requester (FAILED_PRECONDITION,
  // whatever its role) and an approval that is no longer pending (resolved
  // or expired: FAILED_PRECONDITION), then resolves it in data for exactly
  // the stored arguments (their hash as read). data's compare-and-set
  // decides a race: the loser gets FAILED_PRECONDITION.
  absl::StatusOr<v1::Approval> Resolve(
      const Caller& caller, const v1::ResolveApprovalRequest& request);

 private:
  ApprovalRecords* const records_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVAL_MANAGER_H_
