#include "services/data/run_records_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"
#include "common/status/status_macros.h"
#include "services/data/run_binding.h"

namespace bastion::data {
namespace {

constexpr absl::string_view kRunNotFound = "run not found";

}  // namespace

RunRecordsService::RunRecordsService(domain::Runs* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* RunRecordsService::CreateRun(
    grpc::CallbackServerContext* context, const v1::CreateRunRequest* request,
    v1::RunRecord* response) {
  return Finish(
      context, guard_.Run(context, "CreateRun", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
        return Answer(domain_->CreateRun(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* RunRecordsService::GetRun(
    grpc::CallbackServerContext* context, const v1::GetRunRequest* request,
    v1::GetRunResponse* response) {
  return Finish(context,
                guard_.Run(context, "GetRun", *request, [&](const Caller& c) {
                  RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
                  return Answer(domain_->GetRun(c, *request), response);
                }));
}

grpc::ServerUnaryReactor* RunRecordsService::ListRuns(
    grpc::CallbackServerContext* context, const v1::ListRunsRequest* request,
    v1::ListRunsResponse* response) {
  return Finish(context,
                guard_.Run(context, "ListRuns", *request, [&](const Caller& c) {
                  RETURN_IF_ERROR(Answer(domain_->ListRuns(c, *request), response));
                  KeepBoundRun(c, response->mutable_runs(),
                               [](const v1::RunRecord& run) { return run.run_id(); });
                  return absl::OkStatus();
                }));
}

grpc::ServerUnaryReactor* RunRecordsService::UpdateRun(
    grpc::CallbackServerContext* context, const v1::UpdateRunRequest* request,
    v1::RunRecord* response) {
  return Finish(
      context, guard_.Run(context, "UpdateRun", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
        return Answer(domain_->UpdateRun(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* RunRecordsService::AppendRunEvents(
    grpc::CallbackServerContext* context,
    const v1::AppendRunEventsRequest* request,
    v1::AppendRunEventsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "AppendRunEvents", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(CheckBoundRun(c, request->run_id(), kRunNotFound));
        return Answer(domain_->AppendRunEvents(c, *request), response);
      }));
}

}  // namespace bastion::data
