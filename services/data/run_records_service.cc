#include "services/data/run_records_service.h"

#include <utility>

#include "services/data/answer.h"

namespace bastion::data {

RunRecordsService::RunRecordsService(domain::Runs* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* RunRecordsService::CreateRun(
    grpc::CallbackServerContext* context, const v1::CreateRunRequest* request,
    v1::RunRecord* response) {
  return Finish(
      context, guard_.Run(context, "CreateRun", *request, [&](const Caller& c) {
        return Answer(domain_->CreateRun(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* RunRecordsService::GetRun(
    grpc::CallbackServerContext* context, const v1::GetRunRequest* request,
    v1::GetRunResponse* response) {
  return Finish(context,
                guard_.Run(context, "GetRun", *request, [&](const Caller& c) {
                  return Answer(domain_->GetRun(c, *request), response);
                }));
}

grpc::ServerUnaryReactor* RunRecordsService::ListRuns(
    grpc::CallbackServerContext* context, const v1::ListRunsRequest* request,
    v1::ListRunsResponse* response) {
  return Finish(context,
                guard_.Run(context, "ListRuns", *request, [&](const Caller& c) {
                  return Answer(domain_->ListRuns(c, *request), response);
                }));
}

grpc::ServerUnaryReactor* RunRecordsService::UpdateRun(
    grpc::CallbackServerContext* context, const v1::UpdateRunRequest* request,
    v1::RunRecord* response) {
  return Finish(
      context, guard_.Run(context, "UpdateRun", *request, [&](const Caller& c) {
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
        return Answer(domain_->AppendRunEvents(c, *request), response);
      }));
}

}  // namespace bastion::data
