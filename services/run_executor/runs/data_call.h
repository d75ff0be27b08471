// One call to data on a user's behalf, shared by the seams that talk to
// data (run_data.h, approval_records.h): the caller's assertion forwarded,
// a deadline, data's refusals passed through and anything else reported as
// UNAVAILABLE.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_CALL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_CALL_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "common/auth/caller.h"
#include "common/auth/service_identity.h"
#include "common/log/log.h"
#include "common/status/grpc_status.h"

namespace bastion::runs {

// Longest one call to data may take.
inline constexpr absl::Duration kDataDeadline = absl::Seconds(10);

// Calls `send(context, response)` as `caller`. data's answers (NOT_FOUND,
// INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION, PERMISSION_DENIED,
// UNAUTHENTICATED, RESOURCE_EXHAUSTED) pass through; anything that is not
// an answer becomes UNAVAILABLE (logged with `method`, never shown raw).
template <typename Response, typename Send>
absl::StatusOr<Response> CallData(const Caller& caller, const char* method,
                                  Send&& send) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kDataDeadline));
  absl::Status forwarded = ForwardCaller(caller, &context);
  if (!forwarded.ok()) return forwarded;
  Response response;
  const grpc::Status answer = send(&context, &response);
  if (answer.ok()) return response;
  switch (answer.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return FromGrpcStatus(answer);
    default:
      Log(LogLevel::kWarning, "data_call_failed",
          {{"method", method},
           {"code", absl::StatusCodeToString(
                        static_cast<absl::StatusCode>(answer.error_code()))},
           {"error", answer.error_message()}});
      return absl::UnavailableError("data unavailable");
  }
}

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_CALL_H_
