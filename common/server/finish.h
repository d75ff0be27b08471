// Finishes a unary call of a callback-API service (grpc::CallbackService)
// with its status. The services' adapters answer on the thread that runs
// them, without the synchronous server's hand-off to a worker thread:
//
//   grpc::ServerUnaryReactor* Service::GetThing(
//       grpc::CallbackServerContext* context, const GetThingRequest* request,
//       Thing* response) {
//     return Finish(context, guard_.Run(context, "GetThing", *request,
//                                       [&](const Caller& caller) { ... }));
//   }
#ifndef BASTION_COMMON_SERVER_FINISH_H_
#define BASTION_COMMON_SERVER_FINISH_H_

#include <grpcpp/grpcpp.h>

#include <utility>

namespace bastion {

inline grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                        grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace bastion

#endif  // BASTION_COMMON_SERVER_FINISH_H_
