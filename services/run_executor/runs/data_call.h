// One call to data, shared by the seams that talk to data (run_data.h,
// approval_records.h, schedules/schedule_records.h): on a user's behalf
// (the caller's assertion forwarded) or for the service itself, with a
// deadline, data's refusals passed through and anything else reported as
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
#include "common/status/status_macros.h"

namespace bastion::runs {

// Longest one call to data may take.
inline constexpr absl::Duration kDataDeadline = absl::Seconds(10);

// data's answers (NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS,
// FAILED_PRECONDITION, PERMISSION_DENIED, UNAUTHENTICATED,
// RESOURCE_EXHAUSTED) as they are; anything that is not an answer becomes
// UNAVAILABLE (logged with `method`, never shown raw).
inline absl::Status DataAnswer(const char* method, const grpc::Status& answer) {
  switch (answer.error_code()) {
    case grpc::StatusCode::OK:
      return absl::OkStatus();
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

// Calls `send(context, response)` as `caller` (its assertion forwarded),
// answering as DataAnswer.
template <typename Response, typename Send>
absl::StatusOr<Response> CallData(const Caller& caller, const char* method,
                                  Send&& send) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kDataDeadline));
  absl::Status forwarded = ForwardCaller(caller, &context);
  if (!forwarded.ok()) return forwarded;
  Response response;
  RETURN_IF_ERROR(DataAnswer(method, send(&context, &response)));
  return response;
}

// Calls `send(context, response)` for this service itself (no user: the
// channel's service identity alone), answering as DataAnswer.
template <typename Response, typename Send>
absl::StatusOr<Response> CallDataAsService(const char* method, Send&& send) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kDataDeadline));
  Response response;
  RETURN_IF_ERROR(DataAnswer(method, send(&context, &response)));
  return response;
}

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_DATA_CALL_H_
