// The seam between the Approvals service and data's ApprovalRecords: every
// call is made as the user who asked, carrying its forwarded assertion;
// data decides from authz's decision on that call whose approvals it
// reaches (an approver's: its tenant's; anyone else's: its own). gRPC to
// data in a deployment (DataChannelApprovalRecords); an in-memory fake in
// tests.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVAL_RECORDS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVAL_RECORDS_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/caller.h"

namespace bastion::runs {

// Thread-safe. Errors are data's answers as absl::Status; UNAVAILABLE when
// data cannot be reached.
class ApprovalRecords {
 public:
  virtual ~ApprovalRecords() = default;
  virtual absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller& caller, const data::v1::GetApprovalRequest& request) = 0;
  virtual absl::StatusOr<data::v1::ListApprovalsResponse> ListApprovals(
      const Caller& caller, const data::v1::ListApprovalsRequest& request) = 0;
  virtual absl::StatusOr<data::v1::CountApprovalsResponse> CountApprovals(
      const Caller& caller, const data::v1::CountApprovalsRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Approval> ResolveApproval(
      const Caller& caller,
      const data::v1::ResolveApprovalRequest& request) = 0;
};

// Calls data over `channel` (from the service's ChannelFactory, carrying
// run-executor's own identity, which data requires on internal methods).
std::unique_ptr<ApprovalRecords> DataChannelApprovalRecords(
    std::shared_ptr<grpc::Channel> channel);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_APPROVAL_RECORDS_H_
