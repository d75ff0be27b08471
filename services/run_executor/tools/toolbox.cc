#include "services/run_executor/tools/toolbox.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/run_executor/tools/calculator.h"
#include "services/run_executor/tools/current_time.h"
#include "services/run_executor/tools/memory_tools.h"
#include "services/run_executor/tools/remote_tool.h"
#include "services/run_executor/tools/tool_json.h"
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

// A tool name the model produced, fit to quote back to it.
std::string QuotedName(absl::string_view name) {
  constexpr size_t kShown = 64;
  std::string shown(name.substr(0, kShown));
  for (char& c : shown) {
    if (!absl::ascii_isgraph(c) || c == '"' || c == '\\') c = '?';
  }
  return absl::StrCat("\"", shown, name.size() > kShown ? "...\"" : "\"");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Toolbox>> Toolbox::Create(
    const std::map<std::string, v1::Agent>& agents, ToolboxOptions options) {
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
    AgentTools& tools = toolbox->agents_[agent_id];
    for (const v1::ToolSpec& spec : agent.tools()) {
      std::shared_ptr<const Tool> tool;
      const bool remote = !spec.endpoint().empty();
      if (remote) {
        if (options.identity == nullptr) {
          return Unusable(agent, spec,
                          "external tools need this service's identity "
                          "(service_key_file) to call their server");
        }
        std::shared_ptr<grpc::Channel>& channel =
            toolbox->channels_[spec.endpoint()];
        if (channel == nullptr) {
          channel = ServiceChannel(spec.endpoint(), options.credentials,
                                   options.identity);
        }
        tool = std::make_shared<RemoteTool>(
            ToolDefinition{spec.name(), spec.description(), ""}, channel);
      } else if (auto found = options.in_process_tools.find(spec.name());
                 found != options.in_process_tools.end()) {
        tool = found->second;
      } else {
        ASSIGN_OR_RETURN(tool, Builtin(agent, spec, options));
      }

      const std::string& schema_text = spec.parameters_json_schema().empty()
                                           ? tool->definition().parameters_json_schema
                                           : spec.parameters_json_schema();
      absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(schema_text);
      if (!schema.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("registry: agent \"", agent_id, "\" tool \"",
                         spec.name(), "\": ", schema.status().message()));
      }
      ToolDefinition definition{
          spec.name(),
          spec.description().empty() ? tool->definition().description
                                     : spec.description(),
          schema->text()};
      tools.definitions.push_back(definition);
      tools.by_name.emplace(
          spec.name(),
          Entry{spec, std::move(definition), *std::move(schema), std::move(tool),
                remote, ToolTimeout(spec), MaxResultBytes(spec)});
    }
  }
  return toolbox;
}

std::vector<ToolDefinition> Toolbox::Definitions(
    absl::string_view agent_id) const {
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return {};
  return agent->second.definitions;
}

const Toolbox::Entry* Toolbox::Find(absl::string_view agent_id,
                                    absl::string_view tool_name) const {
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return nullptr;
  auto entry = agent->second.by_name.find(tool_name);
  return entry == agent->second.by_name.end() ? nullptr : &entry->second;
}

const v1::ToolSpec* Toolbox::Spec(absl::string_view agent_id,
                                  absl::string_view tool_name) const {
  const Entry* entry = Find(agent_id, tool_name);
  return entry == nullptr ? nullptr : &entry->spec;
}

ToolOutcome Toolbox::Call(absl::string_view agent_id,
                          absl::string_view tool_name,
                          const ToolInvocation& invocation) const {
  const Entry* entry = Find(agent_id, tool_name);
  if (entry == nullptr) {
    return ErrorResult(absl::StrCat("unknown tool ", QuotedName(tool_name),
                                    ": call one of the tools offered"));
  }
  const std::string& name = entry->spec.name();
  absl::Status valid = entry->schema.Check(invocation.arguments_json);
  if (!valid.ok()) {
    return ErrorResult(absl::StrCat("invalid arguments for tool \"", name,
                                    "\": ", valid.message()));
  }
  if (invocation.cancelled && invocation.cancelled()) {
    return ErrorResult("tool call cancelled");
  }
  ToolInvocation call = invocation;
  if (absl::StripAsciiWhitespace(call.arguments_json).empty()) {
    call.arguments_json = "{}";
  }
  const absl::Time start = absl::Now();
  call.deadline = std::min(invocation.deadline, start + entry->timeout);

  absl::StatusOr<ToolOutcome> outcome = entry->remote
                                            ? InvokeCatching(*entry->tool, call)
                                            : runner_.Run(entry->tool, call);
  if (!outcome.ok()) {
    Log(LogLevel::kWarning, "tool_call_failed",
        {{"tool", name},
         {"run_id", invocation.run_id},
         {"tool_call_id", invocation.tool_call_id},
         {"code", absl::StatusCodeToString(outcome.status().code())}});
    switch (outcome.status().code()) {
      case absl::StatusCode::kDeadlineExceeded:
        return ErrorResult(absl::StrCat(
            "tool \"", name, "\" did not finish within ",
            absl::ToInt64Milliseconds(call.deadline - start), " ms"));
      case absl::StatusCode::kCancelled:
        return ErrorResult("tool call cancelled");
      default:
        return ErrorResult(absl::StrCat("tool \"", name, "\" failed: ",
                                        outcome.status().message()));
    }
  }
  if (outcome->content.size() > entry->max_result_bytes) {
    Log(LogLevel::kWarning, "tool_result_too_large",
        {{"tool", name},
         {"run_id", invocation.run_id},
         {"bytes", absl::StrCat(outcome->content.size())}});
    return ErrorResult(absl::StrCat("tool \"", name, "\" returned ",
                                    outcome->content.size(),
                                    " bytes, more than its limit of ",
                                    entry->max_result_bytes));
  }
  return *std::move(outcome);
}

}  // namespace bastion::runs
