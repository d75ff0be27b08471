// Every agent's tools, built once at startup from the registry, and the one
// way a run calls them: arguments checked against the tool's schema, a
// timeout, a size cap and exception safety around every call, so that
// whatever a model asks or a tool does, the run gets a result.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOLBOX_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOLBOX_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/runs/v1/runs.pb.h"
#include "common/auth/service_identity.h"
#include "common/clock/clock.h"
#include "services/run_executor/tools/in_process_runner.h"
#include "services/run_executor/tools/json_schema.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

struct ToolboxOptions {
  // This service's identity, attached to every call to a tool server (a
  // channel per endpoint, from ServiceChannel). Required when an agent
  // lists an external tool; not owned, must outlive the Toolbox.
  ServiceIdentity* identity = nullptr;
  // A channel to data made by ServiceChannel; required when an agent lists
  // memory_search or memory_write.
  std::shared_ptr<grpc::Channel> data;
  // Transport credentials of the tool-server channels; null = plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The time seam of current_time; not owned.
  const Clock* clock = SystemClock::Get();
  // Most in-process calls running at once, hung ones included (see
  // InProcessRunner).
  int max_in_process_calls = 256;
  // In-process tools by name, replacing the built-in of that name (a seam
  // for tests: the registry only lets specs without an endpoint name
  // built-ins) or adding names (for a Toolbox made without the registry).
  std::map<std::string, std::shared_ptr<const Tool>> in_process_tools;
};

// Immutable after Create; thread-safe. Holds one Tool per ToolSpec, shared
// by every run of its agent, and one channel per tool-server endpoint.
class Toolbox {
 public:
  // Builds the tools of every agent (validated with ValidateAgentTools).
  // INVALID_ARGUMENT for a bad spec; FAILED_PRECONDITION naming agent and
  // tool when an external tool has no `identity` to call with, or a memory
  // tool no `data` channel. Nothing is dialled yet: tool servers may start
  // after run-executor.
  static absl::StatusOr<std::unique_ptr<Toolbox>> Create(
      const std::map<std::string, v1::Agent>& agents, ToolboxOptions options);

  // What the model of `agent_id` is offered, in the agent's order: the
  // spec's name, its description (else the built-in's), its schema (else
  // the built-in's; for an external tool without one, any object). Empty
  // for an unknown agent.
  std::vector<ToolDefinition> Definitions(absl::string_view agent_id) const;

  // The spec of one of an agent's tools (e.g. requires_confirmation);
  // null when the agent has no such tool.
  const v1::ToolSpec* Spec(absl::string_view agent_id,
                           absl::string_view tool_name) const;

  // Runs one call of `tool_name` for a run of `agent_id`. Never fails and
  // never throws: every problem is an error result whose text tells the
  // model what went wrong without quoting arguments or internals:
  //   the agent has no such tool            "unknown tool ..."
  //   arguments break the schema            "invalid arguments: <path>: ..."
  //   run already cancelled                 "tool call cancelled"
  //   no result within the tool's timeout   "... did not finish within N ms"
  //     (ToolSpec.timeout_ms, default 10 s; the run may also pass an
  //     earlier invocation.deadline)
  //   result over max_result_bytes          "... returned N bytes, more
  //                                          than its limit of M"
  //   the tool threw                        "... failed: the tool failed
  //                                          unexpectedly"
  //   any other non-OK status               "... failed: <its message>"
  // The tool sees the arguments as given (empty text as "{}") and a
  // deadline of now + timeout. External tools run on the calling thread
  // (bounded by the gRPC deadline); in-process ones through an
  // InProcessRunner (bounded however the tool behaves).
  ToolOutcome Call(absl::string_view agent_id, absl::string_view tool_name,
                   const ToolInvocation& invocation) const;

 private:
  struct Entry {
    v1::ToolSpec spec;
    ToolDefinition definition;
    JsonSchema schema;
    std::shared_ptr<const Tool> tool;
    bool remote = false;
    absl::Duration timeout;
    size_t max_result_bytes = 0;
  };
  struct AgentTools {
    std::vector<ToolDefinition> definitions;
    std::map<std::string, Entry, std::less<>> by_name;
  };

  explicit Toolbox(int max_in_process_calls) : runner_(max_in_process_calls) {}

  const Entry* Find(absl::string_view agent_id,
                    absl::string_view tool_name) const;

  std::map<std::string, AgentTools, std::less<>> agents_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  InProcessRunner runner_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOLBOX_H_
