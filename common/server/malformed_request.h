// Answers INVALID_ARGUMENT for a call whose request message does not parse
// (for example a proto3 string field that is not valid UTF-8), where gRPC's
// own answer is INTERNAL with an empty message: a malformed request is the
// caller's mistake, never something that looks like a server fault.
#ifndef BASTION_COMMON_SERVER_MALFORMED_REQUEST_H_
#define BASTION_COMMON_SERVER_MALFORMED_REQUEST_H_

#include <grpcpp/support/server_interceptor.h>

namespace bastion {

// The answer to a request that does not parse.
inline constexpr char kMalformedRequestMessage[] =
    "malformed request: the message does not parse (a string field that is "
    "not valid UTF-8, or a field of the wrong type)";

// A server interceptor (one per call): for a method that takes one request
// message, it notes when the generated code could not deserialize it
// (POST_RECV_MESSAGE without a message) and rewrites the final status of
// that call. Calls whose request parsed, and methods that read a stream of
// requests (where a read without a message is the end of the stream, as in
// server reflection), are left alone. StartServer installs it on every
// server.
class MalformedRequestInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace bastion

#endif  // BASTION_COMMON_SERVER_MALFORMED_REQUEST_H_
