#include "services/run_executor/tools/remote_tool.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/auth/service_identity.h"
#include "common/log/log.h"
#include "services/run_executor/tools/await_call.h"

namespace bastion::runs {

RemoteTool::RemoteTool(ToolDefinition definition,
                       std::shared_ptr<grpc::Channel> channel)
    : definition_(std::move(definition)),
      stub_(v1::ToolService::NewStub(std::move(channel))) {}

absl::StatusOr<ToolOutcome> RemoteTool::Invoke(
    const ToolInvocation& invocation) const {
  if (invocation.caller == nullptr) {
    return absl::FailedPreconditionError("no caller to act for");
  }
  grpc::ClientContext context;
  // The run owner's assertion: the tool server acts for that user only.
  absl::Status forwarded = ForwardCaller(invocation.caller->Current(), &context);
  if (!forwarded.ok()) return forwarded;

  v1::InvokeToolRequest request;
  request.set_tool_name(definition_.name);
  request.set_arguments_json(invocation.arguments_json);
  request.set_run_id(invocation.run_id);
  request.set_tool_call_id(invocation.tool_call_id);
  v1::InvokeToolResponse response;
  const grpc::Status answer = AwaitUnaryCall(
      &context, invocation.deadline, invocation.cancelled,
      [&](std::function<void(grpc::Status)> done) {
        stub_->async()->Invoke(&context, &request, &response, std::move(done));
      });

  if (answer.ok()) {
    const v1::ToolResult& result = response.result();
    if (!result.tool_call_id().empty() &&
        result.tool_call_id() != invocation.tool_call_id) {
      Log(LogLevel::kWarning, "tool_result_for_another_call",
          {{"tool", definition_.name}, {"run_id", invocation.run_id}});
      return ToolOutcome{"the tool server answered for another tool call",
                         /*is_error=*/true};
    }
    return ToolOutcome{result.content(), result.is_error()};
  }
  const auto code = static_cast<absl::StatusCode>(answer.error_code());
  Log(LogLevel::kWarning, "tool_server_error",
      {{"tool", definition_.name},
       {"run_id", invocation.run_id},
       {"code", absl::StatusCodeToString(code)},
       {"error", answer.error_message()}});
  switch (code) {
    case absl::StatusCode::kDeadlineExceeded:
      return absl::DeadlineExceededError("the tool server did not answer in time");
    case absl::StatusCode::kCancelled:
      return absl::CancelledError("cancelled");
    case absl::StatusCode::kUnavailable:
      return absl::UnavailableError("the tool server is unavailable");
    case absl::StatusCode::kResourceExhausted:
      return absl::ResourceExhaustedError(
          "the tool server's answer was too large, or the server is busy");
    default:
      return absl::Status(code, absl::StrCat("the tool server answered ",
                                             absl::StatusCodeToString(code)));
  }
}

}  // namespace bastion::runs
