#include "services/data/traces_service.h"

#include <utility>

#include "services/data/answer.h"

namespace bastion::data {

TracesService::TracesService(domain::Traces* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* TracesService::AppendSpans(
    grpc::CallbackServerContext* context, const v1::AppendSpansRequest* request,
    v1::AppendSpansResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "AppendSpans", *request, [&](const Caller& c) {
        return Answer(domain_->AppendSpans(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* TracesService::GetTrace(
    grpc::CallbackServerContext* context, const v1::GetTraceRequest* request,
    v1::GetTraceResponse* response) {
  return Finish(context,
                guard_.Run(context, "GetTrace", *request, [&](const Caller& c) {
                  return Answer(domain_->GetTrace(c, *request), response);
                }));
}

grpc::ServerUnaryReactor* TracesService::ListTraces(
    grpc::CallbackServerContext* context, const v1::ListTracesRequest* request,
    v1::ListTracesResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListTraces", *request, [&](const Caller& c) {
        return Answer(domain_->ListTraces(c, *request), response);
      }));
}

}  // namespace bastion::data
