#include "services/run_executor/tools/toolbox.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/run_executor/tools/calculator.h"
#include "services/run_executor/tools/current_time.h"
#include "services/run_executor/tools/memory_tools.h"
#include "services/run_executor/tools/remote_tool.h"
#include "services/run_executor/tools/tool_spec.h"

namespace bastion::runs {
namespace {

absl::Status Unusable(const v1::Agent& agent, const v1::ToolSpec& spec,
                      absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("registry: agent \"", agent.agent_id(), "\" tool \"",
                   spec.name(), "\": ", why));
}

// The built-in of this spec's name.
absl::StatusOr<std::shared_ptr<const Tool>> Builtin(
    const v1::Agent& agent, const v1::ToolSpec& spec,
    const ToolboxOptions& options) {
  const std::string& name = spec.name();
  if (name == "calculator") return std::make_shared<CalculatorTool>();
  if (name == "current_time") {
    return std::make_shared<CurrentTimeTool>(options.clock);
  }
  if (name == "memory_search" || name == "memory_write") {
    if (options.data == nullptr) {
      return Unusable(agent, spec,
                      "memory tools need data (data_address and "
                      "service_key_file)");
    }
    if (name == "memory_search") {
      return std::make_shared<MemorySearchTool>(options.data,
                                                MaxResultBytes(spec));
    }
    return std::make_shared<MemoryWriteTool>(options.data);
  }
  // ValidateAgentTools refused every other name already.
  return absl::InvalidArgumentError(
      absl::StrCat("registry: no built-in tool \"", name, "\""));
}

// A tool the run's owner runs outside Bastion (ToolSpec.external_execution):
// it only describes the tool to the model. The run engine pauses every call
// of it and takes the owner's result instead, so Invoke is reached only by
// a caller that ignored the spec, and refuses.
class OwnerExecutedTool final : public Tool {
 public:
  explicit OwnerExecutedTool(const v1::ToolSpec& spec)
      : definition_{spec.name(), spec.description(), ""} {}

  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(const ToolInvocation&) const override {
    return absl::FailedPreconditionError(
        "this tool runs outside Bastion; its result comes with ContinueRun");
  }

 private:
  const ToolDefinition definition_;
};

std::string KeyOf(const v1::ToolSpec& spec) {
  // ToolSpec has no map fields: equal specs serialize to equal bytes.
  return spec.SerializeAsString();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Toolbox>> Toolbox::Create(
    const std::map<std::string, v1::Agent>& agents, ToolboxOptions options) {
  if (options.max_in_process_calls < 1) {
    return absl::InvalidArgumentError("max_in_process_calls must be at least 1");
  }
  std::set<std::string> in_process_names;
  for (const auto& [name, tool] : options.in_process_tools) {
    if (tool == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("in-process tool \"", name, "\" is null"));
    }
    in_process_names.insert(name);
  }
  std::unique_ptr<Toolbox> toolbox(new Toolbox(options.max_in_process_calls));
  for (const auto& [agent_id, agent] : agents) {
    RETURN_IF_ERROR(ValidateAgentTools(agent, in_process_names));
    std::vector<const GuardedTool*>& listed = toolbox->agents_[agent_id];
    for (const v1::ToolSpec& spec : agent.tools()) {
      std::unique_ptr<GuardedTool>& guarded = toolbox->tools_[KeyOf(spec)];
      if (guarded == nullptr) {
        std::shared_ptr<const Tool> tool;
        const bool external = !spec.endpoint().empty();
        if (external) {
          if (options.channels == nullptr ||
              options.channels->identity() == nullptr) {
            return Unusable(agent, spec,
                            "external tools need this service's identity "
                            "(service_key_file) to call their server");
          }
          std::shared_ptr<grpc::Channel>& channel =
              toolbox->channels_[spec.endpoint()];
          if (channel == nullptr) {
            channel = options.channels->Channel(spec.endpoint());
          }
          tool = std::make_shared<RemoteTool>(
              ToolDefinition{spec.name(), spec.description(), ""}, channel);
        } else if (spec.external_execution()) {
          tool = std::make_shared<OwnerExecutedTool>(spec);
        } else if (auto found = options.in_process_tools.find(spec.name());
                   found != options.in_process_tools.end()) {
          tool = found->second;
        } else {
          ASSIGN_OR_RETURN(tool, Builtin(agent, spec, options));
        }
        absl::StatusOr<std::unique_ptr<GuardedTool>> made = GuardedTool::Create(
            spec, std::move(tool), external, &toolbox->runner_);
        if (!made.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "registry: agent \"", agent_id, "\" ", made.status().message()));
        }
        guarded = *std::move(made);
      }
      listed.push_back(guarded.get());
    }
  }
  return toolbox;
}

absl::StatusOr<const Tool*> Toolbox::ToolFor(absl::string_view agent_id,
                                             const v1::ToolSpec& spec) const {
  auto agent = agents_.find(agent_id);
  auto found = tools_.find(KeyOf(spec));
  if (agent == agents_.end() || found == tools_.end() ||
      std::find(agent->second.begin(), agent->second.end(),
                found->second.get()) == agent->second.end()) {
    return absl::NotFoundError(absl::StrCat(
        "no tool was built for this spec of \"", spec.name(), "\""));
  }
  return found->second.get();
}

const Tool* Toolbox::Find(absl::string_view agent_id,
                          absl::string_view tool_name) const {
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return nullptr;
  for (const GuardedTool* tool : agent->second) {
    if (tool->spec().name() == tool_name) return tool;
  }
  return nullptr;
}

std::vector<ToolDefinition> Toolbox::Definitions(
    absl::string_view agent_id) const {
  std::vector<ToolDefinition> definitions;
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return definitions;
  for (const GuardedTool* tool : agent->second) {
    definitions.push_back(tool->definition());
  }
  return definitions;
}

}  // namespace bastion::runs
