// gRPC adapter of data's ApprovalRecords: runs the guard, hands the verified
// principal to the store, maps the status.
#ifndef BASTION_SERVICES_DATA_APPROVAL_RECORDS_SERVICE_H_
#define BASTION_SERVICES_DATA_APPROVAL_RECORDS_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/storage/approval_store.h"

namespace bastion::data {

// Thread-safe (the store and the guard are).
class ApprovalRecordsService final : public v1::ApprovalRecords::Service {
 public:
  ApprovalRecordsService(storage::ApprovalStore* store, CallGuard guard);

  grpc::Status CreateApproval(grpc::ServerContext* context,
                              const v1::CreateApprovalRequest* request,
                              v1::Approval* response) override;
  grpc::Status GetApproval(grpc::ServerContext* context,
                           const v1::GetApprovalRequest* request,
                           v1::Approval* response) override;
  grpc::Status ListApprovals(grpc::ServerContext* context,
                             const v1::ListApprovalsRequest* request,
                             v1::ListApprovalsResponse* response) override;
  grpc::Status ResolveApproval(grpc::ServerContext* context,
                               const v1::ResolveApprovalRequest* request,
                               v1::Approval* response) override;

 private:
  storage::ApprovalStore* store_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_APPROVAL_RECORDS_SERVICE_H_
