// gRPC adapter of data's RunRecords: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_RUN_RECORDS_SERVICE_H_
#define BASTION_SERVICES_DATA_RUN_RECORDS_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/runs.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class RunRecordsService final : public v1::RunRecords::CallbackService {
 public:
  RunRecordsService(domain::Runs* domain, CallGuard guard);

  grpc::ServerUnaryReactor* CreateRun(grpc::CallbackServerContext* context,
                                      const v1::CreateRunRequest* request,
                                      v1::RunRecord* response) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* context,
                                   const v1::GetRunRequest* request,
                                   v1::GetRunResponse* response) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* context,
                                     const v1::ListRunsRequest* request,
                                     v1::ListRunsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateRun(grpc::CallbackServerContext* context,
                                      const v1::UpdateRunRequest* request,
                                      v1::RunRecord* response) override;
  grpc::ServerUnaryReactor* AppendRunEvents(
      grpc::CallbackServerContext* context,
      const v1::AppendRunEventsRequest* request,
      v1::AppendRunEventsResponse* response) override;

 private:
  domain::Runs* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_RUN_RECORDS_SERVICE_H_
