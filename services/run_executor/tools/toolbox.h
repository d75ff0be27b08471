// Every agent's tools, built once at startup from the registry: built-ins,
// in-process tools and external ToolService tools (one channel per
// endpoint), each wrapped in its spec's limits (GuardedTool).
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
#include "common/auth/channel_factory.h"
#include "common/clock/clock.h"
#include "services/run_executor/tools/guarded_tool.h"
#include "services/run_executor/tools/in_process_runner.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

struct ToolboxOptions {
  // The service's channels (GuardWiring::channels()): one per tool-server
  // endpoint, each call carrying this service's identity. Required, with
  // an identity, when an agent lists an external tool; not owned, used
  // during Create only.
  const ChannelFactory* channels = nullptr;
  // A channel to data from the same factory; required when an agent lists
  // memory_search or memory_write.
  std::shared_ptr<grpc::Channel> data;
  // The time seam of current_time; not owned.
  const Clock* clock = SystemClock::Get();
  // Most in-process calls running at once, hung ones included (see
  // InProcessRunner).
  int max_in_process_calls = 256;
  // In-process tools by name, replacing the built-in of that name (a seam
  // for tests: the registry lets specs without an endpoint name only
  // built-ins) or adding names (for a Toolbox made without the registry).
  std::map<std::string, std::shared_ptr<const Tool>> in_process_tools;
};

// Immutable after Create; thread-safe. Its tools are shared by every run.
class Toolbox {
 public:
  // Builds the tools of every agent (validated with ValidateAgentTools).
  // INVALID_ARGUMENT for a bad spec; FAILED_PRECONDITION naming agent and
  // tool when an external tool has no `identity` to call with, or a memory
  // tool no `data` channel. Nothing is dialled yet: tool servers may start
  // after run-executor.
  static absl::StatusOr<std::unique_ptr<Toolbox>> Create(
      const std::map<std::string, v1::Agent>& agents, ToolboxOptions options);

  // The tool serving `spec` in agent `agent_id` (what the run engine binds
  // each agent's tools with). NOT_FOUND unless Create saw exactly this spec
  // in that agent. Identical specs of two agents share one tool.
  absl::StatusOr<const Tool*> ToolFor(absl::string_view agent_id,
                                      const v1::ToolSpec& spec) const;

  // One of an agent's tools by name; null when the agent has none such
  // (whatever a model asks for, it only reaches its agent's tools).
  const Tool* Find(absl::string_view agent_id,
                   absl::string_view tool_name) const;

  // What the model of `agent_id` is offered, in the agent's order (each
  // tool's definition()). Empty for an unknown agent.
  std::vector<ToolDefinition> Definitions(absl::string_view agent_id) const;

 private:
  explicit Toolbox(int max_in_process_calls) : runner_(max_in_process_calls) {}

  // Declared first: the tools point at it.
  const InProcessRunner runner_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  // By the spec's serialized bytes.
  std::map<std::string, std::unique_ptr<GuardedTool>> tools_;
  // agent id -> the agent's tools, in its order.
  std::map<std::string, std::vector<const GuardedTool*>, std::less<>> agents_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOLBOX_H_
