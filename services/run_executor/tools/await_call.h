// Waiting for one outgoing unary gRPC call of a tool (to data or to a tool
// server) so that a cancelled run stops waiting at once: the call is made
// through the callback API and cancelled when the run is.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_AWAIT_CALL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_AWAIT_CALL_H_

#include <functional>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"

namespace bastion::runs {

// How often `cancelled` is polled while a call is in flight.
inline constexpr absl::Duration kCancelPollInterval = absl::Milliseconds(20);

// Sets `context`'s deadline (when finite), starts the call with `start`
// (which must hand its done-callback to a stub's async() method), and
// blocks until that callback ran. Polls `cancelled` (may be empty) and
// cancels the call when it returns true; the call then ends with
// CANCELLED. Returns the call's status.
grpc::Status AwaitUnaryCall(
    grpc::ClientContext* context, absl::Time deadline,
    const std::function<bool()>& cancelled,
    const std::function<void(std::function<void(grpc::Status)>)>& start);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_AWAIT_CALL_H_
