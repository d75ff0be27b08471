// gRPC adapter of data's ApprovalRecords: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_APPROVAL_RECORDS_SERVICE_H_
#define BASTION_SERVICES_DATA_APPROVAL_RECORDS_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/approvals.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class ApprovalRecordsService final
    : public v1::ApprovalRecords::CallbackService {
 public:
  ApprovalRecordsService(domain::Approvals* domain, CallGuard guard);

  grpc::ServerUnaryReactor* CreateApproval(
      grpc::CallbackServerContext* context,
      const v1::CreateApprovalRequest* request,
      v1::Approval* response) override;
  grpc::ServerUnaryReactor* GetApproval(grpc::CallbackServerContext* context,
                                        const v1::GetApprovalRequest* request,
                                        v1::Approval* response) override;
  grpc::ServerUnaryReactor* ListApprovals(
      grpc::CallbackServerContext* context,
      const v1::ListApprovalsRequest* request,
      v1::ListApprovalsResponse* response) override;
  grpc::ServerUnaryReactor* CountApprovals(
      grpc::CallbackServerContext* context,
      const v1::CountApprovalsRequest* request,
      v1::CountApprovalsResponse* response) override;
  grpc::ServerUnaryReactor* ResolveApproval(
      grpc::CallbackServerContext* context,
      const v1::ResolveApprovalRequest* request,
      v1::Approval* response) override;

 private:
  domain::Approvals* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_APPROVAL_RECORDS_SERVICE_H_
