// gRPC adapter of bastion.runs.v1.Approvals: runs the guard, calls the
// ApprovalManager, maps the status; nothing else.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVALS_SERVICE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVALS_SERVICE_H_

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/run_executor/runs/approval_manager.h"

namespace bastion::runs {

// Thread-safe: the manager and the guard are.
class ApprovalsService final : public v1::Approvals::Service {
 public:
  ApprovalsService(ApprovalManager* manager, CallGuard guard);

  grpc::Status ListApprovals(grpc::ServerContext* context,
                             const v1::ListApprovalsRequest* request,
                             v1::ListApprovalsResponse* response) override;
  grpc::Status CountApprovals(grpc::ServerContext* context,
                              const v1::CountApprovalsRequest* request,
                              v1::CountApprovalsResponse* response) override;
  grpc::Status GetApproval(grpc::ServerContext* context,
                           const v1::GetApprovalRequest* request,
                           v1::Approval* response) override;
  grpc::Status ResolveApproval(grpc::ServerContext* context,
                               const v1::ResolveApprovalRequest* request,
                               v1::Approval* response) override;

 private:
  ApprovalManager* const manager_;
  CallGuard guard_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVALS_SERVICE_H_
