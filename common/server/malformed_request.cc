// The malformed-request interceptor; see malformed_request.h.
#include "common/server/malformed_request.h"

namespace bastion {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call; gRPC runs a call's interception points one after another.
class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      // The generated code hands interceptors no message when it could not
      // deserialize one; the handler is then never run.
      unparsed_ = true;
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS) &&
        unparsed_) {
      methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             kMalformedRequestMessage));
    }
    methods->Proceed();
  }

 private:
  bool unparsed_ = false;
};

}  // namespace

grpc::experimental::Interceptor*
MalformedRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo*) {
  return new MalformedRequestInterceptor();
}

}  // namespace bastion
