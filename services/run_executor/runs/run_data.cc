#include "services/run_executor/runs/run_data.h"

#include <utility>

#include "services/run_executor/runs/data_call.h"

namespace bastion::runs {
namespace {

class GrpcRunData final : public RunData {
 public:
  explicit GrpcRunData(std::shared_ptr<grpc::Channel> channel)
      : sessions_(data::v1::Sessions::NewStub(channel)),
        runs_(data::v1::RunRecords::NewStub(channel)),
        traces_(data::v1::Traces::NewStub(channel)),
        approvals_(data::v1::ApprovalRecords::NewStub(channel)) {}

  absl::StatusOr<data::v1::Session> GetSession(
      const Caller& caller, const data::v1::GetSessionRequest& request) override {
    return Call<data::v1::Session>(caller, "GetSession", [&](auto* c, auto* r) {
      return sessions_->GetSession(c, request, r);
    });
  }
  absl::StatusOr<data::v1::Session> CreateSession(
      const Caller& caller,
      const data::v1::CreateSessionRequest& request) override {
    return Call<data::v1::Session>(caller, "CreateSession", [&](auto* c, auto* r) {
      return sessions_->CreateSession(c, request, r);
    });
  }
  absl::StatusOr<data::v1::RunRecord> CreateRun(
      const Caller& caller, const data::v1::CreateRunRequest& request) override {
    return Call<data::v1::RunRecord>(caller, "CreateRun", [&](auto* c, auto* r) {
      return runs_->CreateRun(c, request, r);
    });
  }
  absl::StatusOr<data::v1::GetRunResponse> GetRun(
      const Caller& caller, const data::v1::GetRunRequest& request) override {
    return Call<data::v1::GetRunResponse>(caller, "GetRun", [&](auto* c, auto* r) {
      return runs_->GetRun(c, request, r);
    });
  }
  absl::StatusOr<data::v1::ListRunsResponse> ListRuns(
      const Caller& caller, const data::v1::ListRunsRequest& request) override {
    return Call<data::v1::ListRunsResponse>(caller, "ListRuns", [&](auto* c, auto* r) {
      return runs_->ListRuns(c, request, r);
    });
  }
  absl::StatusOr<data::v1::RunRecord> UpdateRun(
      const Caller& caller, const data::v1::UpdateRunRequest& request) override {
    return Call<data::v1::RunRecord>(caller, "UpdateRun", [&](auto* c, auto* r) {
      return runs_->UpdateRun(c, request, r);
    });
  }
  absl::StatusOr<data::v1::AppendRunEventsResponse> AppendRunEvents(
      const Caller& caller,
      const data::v1::AppendRunEventsRequest& request) override {
    return Call<data::v1::AppendRunEventsResponse>(
        caller, "AppendRunEvents", [&](auto* c, auto* r) {
          return runs_->AppendRunEvents(c, request, r);
        });
  }
  void AppendRunEventsAsync(const Caller& caller,
                            data::v1::AppendRunEventsRequest request,
                            AppendDone done) override {
    // Alive until gRPC has called back.
    struct Pending {
      grpc::ClientContext context;
      data::v1::AppendRunEventsRequest request;
      data::v1::AppendRunEventsResponse response;
      AppendDone done;
    };
    auto pending = std::make_shared<Pending>();
    pending->request = std::move(request);
    pending->done = std::move(done);
    pending->context.set_deadline(
        absl::ToChronoTime(absl::Now() + kDataDeadline));
    if (absl::Status forwarded = ForwardCaller(caller, &pending->context);
        !forwarded.ok()) {
      pending->done(forwarded);
      return;
    }
    runs_->async()->AppendRunEvents(
        &pending->context, &pending->request, &pending->response,
        [pending](grpc::Status answer) {
          absl::Status status = DataAnswer("AppendRunEvents", answer);
          if (status.ok()) {
            pending->done(std::move(pending->response));
          } else {
            pending->done(std::move(status));
          }
        });
  }
  absl::Status AppendSpans(const Caller& caller,
                           const data::v1::AppendSpansRequest& request) override {
    return Call<data::v1::AppendSpansResponse>(
               caller, "AppendSpans",
               [&](auto* c, auto* r) { return traces_->AppendSpans(c, request, r); })
        .status();
  }
  absl::StatusOr<data::v1::Approval> CreateApproval(
      const Caller& caller,
      const data::v1::CreateApprovalRequest& request) override {
    return Call<data::v1::Approval>(caller, "CreateApproval", [&](auto* c, auto* r) {
      return approvals_->CreateApproval(c, request, r);
    });
  }
  absl::StatusOr<data::v1::Approval> GetApproval(
      const Caller& caller, const data::v1::GetApprovalRequest& request) override {
    return Call<data::v1::Approval>(caller, "GetApproval", [&](auto* c, auto* r) {
      return approvals_->GetApproval(c, request, r);
    });
  }

 private:
  // One call as `caller` (data_call.h).
  template <typename Response, typename Send>
  absl::StatusOr<Response> Call(const Caller& caller, const char* method,
                                Send&& send) {
    return CallData<Response>(caller, method, std::forward<Send>(send));
  }

  std::unique_ptr<data::v1::Sessions::Stub> sessions_;
  std::unique_ptr<data::v1::RunRecords::Stub> runs_;
  std::unique_ptr<data::v1::Traces::Stub> traces_;
  std::unique_ptr<data::v1::ApprovalRecords::Stub> approvals_;
};

}  // namespace

std::unique_ptr<RunData> DataChannelRunData(
    std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcRunData>(std::move(channel));
}

}  // namespace bastion::runs
