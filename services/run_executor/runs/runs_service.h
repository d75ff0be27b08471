// gRPC adapter of bastion.runs.v1.Runs: runs the guard, calls the
// RunManager and streams events; nothing else.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUNS_SERVICE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUNS_SERVICE_H_

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/run_executor/runs/run_manager.h"

namespace bastion::runs {

// Thread-safe: the manager and the guard are.
class RunsService final : public v1::Runs::Service {
 public:
  RunsService(RunManager* manager, CallGuard guard);

  grpc::Status RunAgent(grpc::ServerContext* context,
                        const v1::RunAgentRequest* request,
                        grpc::ServerWriter<v1::RunEvent>* writer) override;
  grpc::Status RunTeam(grpc::ServerContext* context,
                       const v1::RunTeamRequest* request,
                       grpc::ServerWriter<v1::RunEvent>* writer) override;
  grpc::Status RunWorkflow(grpc::ServerContext* context,
                           const v1::RunWorkflowRequest* request,
                           grpc::ServerWriter<v1::RunEvent>* writer) override;
  grpc::Status ContinueRun(grpc::ServerContext* context,
                           const v1::ContinueRunRequest* request,
                           grpc::ServerWriter<v1::RunEvent>* writer) override;
  grpc::Status CancelRun(grpc::ServerContext* context,
                         const v1::CancelRunRequest* request,
                         v1::CancelRunResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext* context,
                      const v1::GetRunRequest* request,
                      v1::Run* response) override;
  grpc::Status ListRuns(grpc::ServerContext* context,
                        const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status StreamRun(grpc::ServerContext* context,
                         const v1::StreamRunRequest* request,
                         grpc::ServerWriter<v1::RunEvent>* writer) override;

 private:
  // Starts a run and streams it until it ends or the client goes away (the
  // run goes on).
  grpc::Status StartAndFollow(grpc::ServerContext* context,
                              const char* method,
                              const google::protobuf::Message& request,
                              RunManager::StartRequest start,
                              grpc::ServerWriter<v1::RunEvent>* writer);

  RunManager* const manager_;
  CallGuard guard_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUNS_SERVICE_H_
