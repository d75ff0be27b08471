#include "services/data/traces_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"
#include "common/status/status_macros.h"
#include "services/data/run_binding.h"

namespace bastion::data {
namespace {

constexpr absl::string_view kTraceNotFound = "trace not found";

}  // namespace

TracesService::TracesService(domain::Traces* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* TracesService::AppendSpans(
    grpc::CallbackServerContext* context, const v1::AppendSpansRequest* request,
    v1::AppendSpansResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "AppendSpans", *request, [&](const Caller& c) {
        // A run's trace id is its run id.
        for (const v1::Span& span : request->spans()) {
          RETURN_IF_ERROR(CheckBoundRun(c, span.trace_id(), kTraceNotFound));
        }
        return Answer(domain_->AppendSpans(c, *request), response);
      }));
}

grpc::ServerUnaryReactor* TracesService::GetTrace(
    grpc::CallbackServerContext* context, const v1::GetTraceRequest* request,
    v1::GetTraceResponse* response) {
  return Finish(context,
                guard_.Run(context, "GetTrace", *request, [&](const Caller& c) {
                  RETURN_IF_ERROR(CheckBoundRun(c, request->trace_id(), kTraceNotFound));
                  return Answer(domain_->GetTrace(c, *request), response);
                }));
}

grpc::ServerUnaryReactor* TracesService::ListTraces(
    grpc::CallbackServerContext* context, const v1::ListTracesRequest* request,
    v1::ListTracesResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListTraces", *request, [&](const Caller& c) {
        RETURN_IF_ERROR(Answer(domain_->ListTraces(c, *request), response));
        KeepBoundRun(c, response->mutable_traces(),
                     [](const v1::TraceSummary& t) { return t.trace_id(); });
        return absl::OkStatus();
      }));
}

}  // namespace bastion::data
