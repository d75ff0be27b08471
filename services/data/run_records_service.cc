#include "services/data/run_records_service.h"

#include <utility>

#include "common/status/status_macros.h"
#include "services/data/answer.h"
#include "services/data/run_binding.h"

namespace bastion::data {
namespace {

constexpr absl::string_view kRunNotFound = "run not found";

}  // namespace

RunRecordsService::RunRecordsService(storage::RunStore* store, CallGuard guard)
    : store_(store), guard_(std::move(guard)) {}

grpc::Status RunRecordsService::CreateRun(grpc::ServerContext* context,
                                          const v1::CreateRunRequest* request,
                                          v1::RunRecord* response) {
  return guard_.Run(context, "CreateRun", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
    return Answer(store_->CreateRun(c, *request), response);
  });
}

grpc::Status RunRecordsService::GetRun(grpc::ServerContext* context,
                                       const v1::GetRunRequest* request,
                                       v1::GetRunResponse* response) {
  return guard_.Run(context, "GetRun", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
    return Answer(store_->GetRun(c, *request), response);
  });
}

grpc::Status RunRecordsService::ListRuns(grpc::ServerContext* context,
                                         const v1::ListRunsRequest* request,
                                         v1::ListRunsResponse* response) {
  return guard_.Run(context, "ListRuns", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(Answer(store_->ListRuns(c, *request), response));
    KeepBoundRun(c, response->mutable_runs(),
                 [](const v1::RunRecord& run) { return run.run_id(); });
    return absl::OkStatus();
  });
}

grpc::Status RunRecordsService::UpdateRun(grpc::ServerContext* context,
                                          const v1::UpdateRunRequest* request,
                                          v1::RunRecord* response) {
  return guard_.Run(context, "UpdateRun", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
    return Answer(store_->UpdateRun(c, *request), response);
  });
}

grpc::Status RunRecordsService::AppendRunEvents(
    grpc::ServerContext* context, const v1::AppendRunEventsRequest* request,
    v1::AppendRunEventsResponse* response) {
  return guard_.Run(context, "AppendRunEvents", *request, [&](const Caller& c) {
    RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
    return Answer(store_->AppendRunEvents(c, *request), response);
  });
}

}  // namespace bastion::data
