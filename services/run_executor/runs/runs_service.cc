#include "services/run_executor/runs/runs_service.h"

#include <utility>

namespace bastion::runs {
namespace {

// Streams a followed run to the client; stops when the client is gone.
absl::Status Stream(RunManager* manager, grpc::ServerContext* context,
                    const Caller& caller, const std::string& run_id,
                    int64_t after_seq, grpc::ServerWriter<v1::RunEvent>* writer) {
  return manager->Follow(
      caller, run_id, after_seq,
      [writer](const v1::RunEvent& event) { return writer->Write(event); },
      [context] { return context->IsCancelled(); });
}

}  // namespace

RunsService::RunsService(RunManager* manager, CallGuard guard)
    : manager_(manager), guard_(std::move(guard)) {}

grpc::Status RunsService::StartAndFollow(
    grpc::ServerContext* context, const char* method,
    const google::protobuf::Message& request, RunManager::StartRequest start,
    grpc::ServerWriter<v1::RunEvent>* writer) {
  return guard_.Run(context, method, request, [&](const Caller& caller) {
    return manager_->StartAndFollow(
        caller, start,
        [writer](const v1::RunEvent& event) { return writer->Write(event); },
        [context] { return context->IsCancelled(); });
  });
}

grpc::Status RunsService::RunAgent(grpc::ServerContext* context,
                                   const v1::RunAgentRequest* request,
                                   grpc::ServerWriter<v1::RunEvent>* writer) {
  return StartAndFollow(context, "RunAgent", *request,
                        {common::v1::COMPONENT_TYPE_AGENT, request->agent_id(),
                         request->input(), request->session_id(),
                         request->session_policy()},
                        writer);
}

grpc::Status RunsService::RunTeam(grpc::ServerContext* context,
                                  const v1::RunTeamRequest* request,
                                  grpc::ServerWriter<v1::RunEvent>* writer) {
  return StartAndFollow(context, "RunTeam", *request,
                        {common::v1::COMPONENT_TYPE_TEAM, request->team_id(),
                         request->input(), request->session_id(),
                         request->session_policy()},
                        writer);
}

grpc::Status RunsService::RunWorkflow(grpc::ServerContext* context,
                                      const v1::RunWorkflowRequest* request,
                                      grpc::ServerWriter<v1::RunEvent>* writer) {
  return StartAndFollow(context, "RunWorkflow", *request,
                        {common::v1::COMPONENT_TYPE_WORKFLOW,
                         request->workflow_id(), request->input(),
                         request->session_id(), request->session_policy()},
                        writer);
}

grpc::Status RunsService::ContinueRun(grpc::ServerContext* context,
                                      const v1::ContinueRunRequest* request,
                                      grpc::ServerWriter<v1::RunEvent>* writer) {
  return guard_.Run(context, "ContinueRun", *request, [&](const Caller& caller) {
    absl::StatusOr<int64_t> paused_seq = manager_->Continue(caller, *request);
    if (!paused_seq.ok()) return paused_seq.status();
    return Stream(manager_, context, caller, request->run_id(), *paused_seq,
                  writer);
  });
}

grpc::Status RunsService::CancelRun(grpc::ServerContext* context,
                                    const v1::CancelRunRequest* request,
                                    v1::CancelRunResponse* response) {
  return guard_.Run(context, "CancelRun", *request, [&](const Caller& caller) {
    absl::StatusOr<v1::Run> run = manager_->Cancel(caller, *request);
    if (!run.ok()) return run.status();
    *response->mutable_run() = *std::move(run);
    return absl::OkStatus();
  });
}

grpc::Status RunsService::GetRun(grpc::ServerContext* context,
                                 const v1::GetRunRequest* request,
                                 v1::Run* response) {
  return guard_.Run(context, "GetRun", *request, [&](const Caller& caller) {
    absl::StatusOr<v1::Run> run = manager_->Get(
        caller, request->run_id(), common::v1::COMPONENT_TYPE_UNSPECIFIED, "");
    if (!run.ok()) return run.status();
    *response = *std::move(run);
    return absl::OkStatus();
  });
}

grpc::Status RunsService::ListRuns(grpc::ServerContext* context,
                                   const v1::ListRunsRequest* request,
                                   v1::ListRunsResponse* response) {
  return guard_.Run(context, "ListRuns", *request, [&](const Caller& caller) {
    absl::StatusOr<v1::ListRunsResponse> runs = manager_->List(caller, *request);
    if (!runs.ok()) return runs.status();
    *response = *std::move(runs);
    return absl::OkStatus();
  });
}

grpc::Status RunsService::StreamRun(grpc::ServerContext* context,
                                    const v1::StreamRunRequest* request,
                                    grpc::ServerWriter<v1::RunEvent>* writer) {
  return guard_.Run(context, "StreamRun", *request, [&](const Caller& caller) {
    if (request->after_seq() < 0) {
      return absl::InvalidArgumentError("after_seq must be >= 0");
    }
    return Stream(manager_, context, caller, request->run_id(),
                  request->after_seq(), writer);
  });
}

}  // namespace bastion::runs
