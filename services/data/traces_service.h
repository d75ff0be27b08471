// gRPC adapter of data's Traces: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_TRACES_SERVICE_H_
#define BASTION_SERVICES_DATA_TRACES_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/traces.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class TracesService final : public v1::Traces::CallbackService {
 public:
  TracesService(domain::Traces* domain, CallGuard guard);

  grpc::ServerUnaryReactor* AppendSpans(
      grpc::CallbackServerContext* context,
      const v1::AppendSpansRequest* request,
      v1::AppendSpansResponse* response) override;
  grpc::ServerUnaryReactor* GetTrace(grpc::CallbackServerContext* context,
                                     const v1::GetTraceRequest* request,
                                     v1::GetTraceResponse* response) override;
  grpc::ServerUnaryReactor* ListTraces(
      grpc::CallbackServerContext* context,
      const v1::ListTracesRequest* request,
      v1::ListTracesResponse* response) override;

 private:
  domain::Traces* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_TRACES_SERVICE_H_
