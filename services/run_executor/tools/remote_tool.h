// A tool served by an external process implementing
// bastion.runs.v1.ToolService, called as this service (ChannelFactory) for
// the run's owner (the forwarded assertion).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_REMOTE_TOOL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_REMOTE_TOOL_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Thread-safe: one instance serves every run; the channel is shared with
// every other tool of the same endpoint.
//
// Invoke sends ToolService.Invoke with the tool's name, the arguments, the
// run and call ids, the caller's assertion in x-bastion-principal-bin and
// (through the channel) this service's own assertion, with the
// invocation's deadline as the gRPC deadline, and cancels the call when the
// run is cancelled. Outcomes:
//   the server's ToolResult                  -> that outcome (is_error kept)
//   a result naming another tool_call_id     -> error result
//   no caller assertion                      -> FAILED_PRECONDITION, nothing sent
//   deadline passed                          -> DEADLINE_EXCEEDED
//   run cancelled                            -> CANCELLED
//   answer over the channel's 4 MiB limit    -> RESOURCE_EXHAUSTED
//   server unreachable                       -> UNAVAILABLE
//   any other error status of the server     -> that code, with a fixed
//                                               message (the server's own
//                                               text is only logged)
class RemoteTool final : public Tool {
 public:
  // `channel`: made by ChannelFactory for the tool's endpoint.
  RemoteTool(ToolDefinition definition, std::shared_ptr<grpc::Channel> channel);

  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override;

 private:
  const ToolDefinition definition_;
  const std::unique_ptr<v1::ToolService::Stub> stub_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_REMOTE_TOOL_H_
