// The malformed-request interceptor; see malformed_request.h.
#include "common/server/malformed_request.h"

namespace bastion {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call; gRPC runs a call's interception points one after another.
class MalformedRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  // `single_request`: the method takes exactly one request message. For a
  // request stream, a read without a message is also how the stream ends,
  // so only methods with one request are judged.
  explicit MalformedRequestInterceptor(bool single_request)
      : single_request_(single_request) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (single_request_ &&
        methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      // The generated code hands interceptors no message when it could not
      // deserialize the one request; the handler is then never run.
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
  const bool single_request_;
  bool unparsed_ = false;
};

}  // namespace

grpc::experimental::Interceptor*
MalformedRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  return new MalformedRequestInterceptor(
      /*single_request=*/info->type() == Type::UNARY ||
      info->type() == Type::SERVER_STREAMING);
}

}  // namespace bastion
