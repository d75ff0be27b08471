// Shared by the data service's gRPC adapters: Answer (common/status) copies
// a domain's successful result into the gRPC response; Finish finishes a
// callback-API call.
#ifndef BASTION_SERVICES_DATA_ANSWER_H_
#define BASTION_SERVICES_DATA_ANSWER_H_

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status/answer.h"

namespace bastion::data {

// Finishes a unary call of a callback service with `status`. The adapters
// answer on the thread that runs them: no hand-off to another thread.
inline grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                        grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_ANSWER_H_
