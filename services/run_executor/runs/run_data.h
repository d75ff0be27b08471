// The seam between the Runs service and data: every call is made for the
// run's owner, carrying its forwarded assertion (data scopes each row to
// that owner, so another user's run or session answers NOT_FOUND). gRPC to
// data in a deployment (DataChannelRunData); an in-memory fake can stand in.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_DATA_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_DATA_H_

#include <functional>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/caller.h"

namespace bastion::runs {

// Thread-safe. Errors are data's answers as absl::Status (data's messages
// are written for its callers); UNAVAILABLE when data cannot be reached.
class RunData {
 public:
  virtual ~RunData() = default;
  virtual absl::StatusOr<data::v1::Session> GetSession(
      const Caller& caller, const data::v1::GetSessionRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Session> CreateSession(
      const Caller& caller, const data::v1::CreateSessionRequest& request) = 0;
  virtual absl::StatusOr<data::v1::RunRecord> CreateRun(
      const Caller& caller, const data::v1::CreateRunRequest& request) = 0;
  virtual absl::StatusOr<data::v1::GetRunResponse> GetRun(
      const Caller& caller, const data::v1::GetRunRequest& request) = 0;
  virtual absl::StatusOr<data::v1::ListRunsResponse> ListRuns(
      const Caller& caller, const data::v1::ListRunsRequest& request) = 0;
  virtual absl::StatusOr<data::v1::RunRecord> UpdateRun(
      const Caller& caller, const data::v1::UpdateRunRequest& request) = 0;
  virtual absl::StatusOr<data::v1::AppendRunEventsResponse> AppendRunEvents(
      const Caller& caller, const data::v1::AppendRunEventsRequest& request) = 0;
  // AppendRunEvents without waiting for the answer: `done` is called once
  // with it, on another thread or before this returns.
  using AppendDone = std::function<void(
      absl::StatusOr<data::v1::AppendRunEventsResponse>)>;
  virtual void AppendRunEventsAsync(const Caller& caller,
                                    data::v1::AppendRunEventsRequest request,
                                    AppendDone done) = 0;
  virtual absl::Status AppendSpans(
      const Caller& caller, const data::v1::AppendSpansRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Approval> CreateApproval(
      const Caller& caller, const data::v1::CreateApprovalRequest& request) = 0;
  virtual absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller& caller, const data::v1::GetApprovalRequest& request) = 0;
};

// Calls data over `channel` (from the service's ChannelFactory, carrying
// run-executor's own identity, which data requires on every call made for
// a user).
std::unique_ptr<RunData> DataChannelRunData(
    std::shared_ptr<grpc::Channel> channel);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_DATA_H_
