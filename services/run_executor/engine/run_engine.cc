#include "services/run_executor/engine/run_engine.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using common::v1::ComponentType;
using Role = ChatMessage::Role;

constexpr char kMemberSchema[] =
    R"({"type":"object","properties":{"input":{"type":"string",)"
    R"("description":"what the member should do"}},"required":["input"]})";

// The one run object of a request: its conversation state lives in the
// frames of these calls, its counters here. Never shared between runs.
class Execution {
 public:
  Execution(const AgentRegistry& registry, const ModelCatalog& models,
            const Toolbox& tools, const EngineOptions& options,
            const RunRequest& request)
      : registry_(registry),
        models_(models),
        tools_(tools),
        options_(options),
        request_(request) {}

  RunOutcome Run() {
    const absl::Time start = options_.clock->Now();
    v1::RunEvent started;
    started.mutable_started()->set_component_type(request_.component_type);
    started.mutable_started()->set_component_id(request_.component_id);
    started.mutable_started()->set_session_id(request_.session_id);
    absl::Status recorded = Record(std::move(started));
    absl::StatusOr<std::string> output =
        recorded.ok() ? RunComponent(request_.component_type,
                                     request_.component_id, request_.input,
                                     request_.run_id)
                      : absl::StatusOr<std::string>(recorded);
    if (output.ok() && Cancelled()) output = absl::CancelledError("cancelled");

    RunOutcome outcome;
    v1::RunEvent last;
    if (output.ok()) {
      outcome.status = common::v1::RUN_STATUS_COMPLETED;
      outcome.output = *output;
      last.mutable_completed()->set_output(*output);
    } else if (output.status().code() == absl::StatusCode::kCancelled) {
      outcome.status = common::v1::RUN_STATUS_CANCELLED;
      last.mutable_cancelled();
    } else {
      outcome.status = common::v1::RUN_STATUS_FAILED;
      outcome.error = std::string(output.status().message());
      last.mutable_failed()->set_message(outcome.error);
    }
    // A span that could not be stored never changes the run's outcome.
    (void)EndSpan(request_.run_id, /*parent=*/"",
                  absl::StrCat("run ", KindName(request_.component_type), " ",
                               request_.component_id),
                  start, output.status());
    if (recorded.ok()) (void)Record(std::move(last));
    return outcome;
  }

 private:
  static const char* KindName(ComponentType type) {
    switch (type) {
      case common::v1::COMPONENT_TYPE_AGENT:
        return "agent";
      case common::v1::COMPONENT_TYPE_TEAM:
        return "team";
      case common::v1::COMPONENT_TYPE_WORKFLOW:
        return "workflow";
      default:
        return "component";
    }
  }

  bool Cancelled() const {
    return request_.cancelled && request_.cancelled();
  }

  absl::Status Record(v1::RunEvent event) {
    return request_.recorder->Record(std::move(event));
  }

  std::string NextSpanId() { return absl::StrCat("s", ++spans_); }

  // Stores the finished span `span_id` under `parent`.
  absl::Status EndSpan(const std::string& span_id, const std::string& parent,
                       std::string name, absl::Time start,
                       const absl::Status& status,
                       const nlohmann::json& attributes = nlohmann::json::object()) {
    data::v1::Span span;
    span.set_trace_id(request_.run_id);
    span.set_span_id(span_id);
    span.set_parent_span_id(parent);
    span.set_name(std::move(name));
    span.set_start_time_unix_nano(absl::ToUnixNanos(start));
    span.set_end_time_unix_nano(absl::ToUnixNanos(options_.clock->Now()));
    span.set_attributes_json(
        attributes.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    span.set_status(status.ok() ? data::v1::SPAN_STATUS_OK
                                : data::v1::SPAN_STATUS_ERROR);
    if (!status.ok()) span.set_status_message(std::string(status.message()));
    return request_.recorder->RecordSpan(std::move(span));
  }

  absl::StatusOr<std::string> RunComponent(ComponentType type,
                                           const std::string& id,
                                           const std::string& input,
                                           const std::string& parent_span) {
    if (Cancelled()) return absl::CancelledError("cancelled");
    switch (type) {
      case common::v1::COMPONENT_TYPE_AGENT: {
        absl::StatusOr<v1::Agent> agent = registry_.FindAgent(id);
        if (!agent.ok()) return agent.status();
        return RunAgent(*agent, input, parent_span);
      }
      case common::v1::COMPONENT_TYPE_TEAM: {
        absl::StatusOr<v1::Team> team = registry_.FindTeam(id);
        if (!team.ok()) return team.status();
        return RunTeam(*team, input, parent_span);
      }
      case common::v1::COMPONENT_TYPE_WORKFLOW: {
        absl::StatusOr<v1::Workflow> workflow = registry_.FindWorkflow(id);
        if (!workflow.ok()) return workflow.status();
        return RunWorkflow(*workflow, input, parent_span);
      }
      default:
        return absl::InvalidArgumentError("unknown component type");
    }
  }

  // How a model's tool calls are answered: by the agent's tools or by the
  // team's members.
  using ToolRunner = std::function<absl::StatusOr<ToolOutcome>(
      const ToolCallRequest& call, const std::string& event_call_id,
      const std::string& span_id)>;

  // The model loop shared by agents and team leaders; `call_kind` names the
  // spans of the calls ("tool", "member").
  absl::StatusOr<std::string> Loop(const std::string& what,
                                   const char* call_kind,
                                   const std::string& model_reference,
                                   const std::string& instructions,
                                   int max_iterations,
                                   std::vector<ToolDefinition> tools,
                                   const std::string& input,
                                   const std::string& parent_span,
                                   const ToolRunner& run_tool) {
    absl::StatusOr<std::shared_ptr<const Model>> model =
        models_.Find(model_reference);
    if (!model.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, " names a model that is not available"));
    }
    const int limit =
        max_iterations > 0 ? max_iterations : options_.default_max_iterations;
    ModelRequest conversation;
    conversation.tools = std::move(tools);
    if (!instructions.empty()) {
      conversation.messages.push_back({Role::kSystem, instructions, {}, "", ""});
    }
    conversation.messages.push_back({Role::kUser, input, {}, "", ""});

    for (int iteration = 0; iteration < limit; ++iteration) {
      if (Cancelled()) return absl::CancelledError("cancelled");
      const std::string model_span = NextSpanId();
      const absl::Time model_start = options_.clock->Now();
      absl::Status recorded;
      ModelCallOptions call;
      call.cancelled = [this, &recorded] { return !recorded.ok() || Cancelled(); };
      call.on_text = [this, &recorded](absl::string_view text) {
        if (!recorded.ok() || text.empty()) return;
        v1::RunEvent event;
        event.mutable_model_output()->set_text(std::string(text));
        recorded = Record(std::move(event));
      };
      absl::StatusOr<ModelReply> reply = (*model)->Complete(conversation, call);
      if (!recorded.ok()) return recorded;
      (void)EndSpan(model_span, parent_span, absl::StrCat("model ", model_reference),
                    model_start, reply.status(),
                    {{"iteration", iteration + 1},
                     {"tool_calls", reply.ok() ? reply->tool_calls.size() : 0}});
      if (!reply.ok()) {
        if (reply.status().code() == absl::StatusCode::kCancelled) {
          return reply.status();
        }
        return absl::Status(reply.status().code(),
                            absl::StrCat(what, ": the model failed: ",
                                         reply.status().message()));
      }
      if (reply->tool_calls.empty()) return reply->text;

      conversation.messages.push_back(
          {Role::kAssistant, reply->text, reply->tool_calls, "", ""});
      for (const ToolCallRequest& tool_call : reply->tool_calls) {
        if (Cancelled()) return absl::CancelledError("cancelled");
        const std::string event_call_id = absl::StrCat("call-", ++calls_);
        v1::RunEvent asked;
        asked.mutable_tool_call()->set_tool_call_id(event_call_id);
        asked.mutable_tool_call()->set_tool_name(tool_call.name);
        asked.mutable_tool_call()->set_arguments_json(tool_call.arguments_json);
        if (absl::Status stored = Record(std::move(asked)); !stored.ok()) {
          return stored;
        }

        const std::string tool_span = NextSpanId();
        const absl::Time tool_start = options_.clock->Now();
        absl::StatusOr<ToolOutcome> outcome =
            run_tool(tool_call, event_call_id, tool_span);
        if (!outcome.ok() &&
            outcome.status().code() == absl::StatusCode::kCancelled) {
          return outcome.status();
        }
        if (!outcome.ok()) {
          outcome = ToolOutcome{std::string(outcome.status().message()), true};
        }
        (void)EndSpan(tool_span, parent_span, absl::StrCat(call_kind, " ", tool_call.name),
                      tool_start,
                      outcome->is_error ? absl::UnknownError("error result")
                                        : absl::OkStatus(),
                      {{"tool_call_id", event_call_id}});
        v1::RunEvent answered;
        answered.mutable_tool_result()->set_tool_call_id(event_call_id);
        answered.mutable_tool_result()->set_content(outcome->content);
        answered.mutable_tool_result()->set_is_error(outcome->is_error);
        if (absl::Status stored = Record(std::move(answered)); !stored.ok()) {
          return stored;
        }
        conversation.messages.push_back({Role::kTool, outcome->content, {},
                                         tool_call.id, tool_call.name});
      }
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        what, " made ", limit, " model calls (its max_iterations) without a "
        "final answer"));
  }

  absl::StatusOr<std::string> RunAgent(const v1::Agent& agent,
                                       const std::string& input,
                                       const std::string& parent_span) {
    const std::string what = absl::StrCat("agent ", agent.agent_id());
    return Loop(
        what, "tool", agent.model(), agent.instructions(), agent.max_iterations(),
        tools_.Definitions(agent.agent_id()), input, parent_span,
        [&](const ToolCallRequest& call, const std::string& event_call_id,
            const std::string&) -> absl::StatusOr<ToolOutcome> {
          return CallTool(agent, call, event_call_id);
        });
  }

  absl::StatusOr<ToolOutcome> CallTool(const v1::Agent& agent,
                                       const ToolCallRequest& call,
                                       const std::string& event_call_id) {
    const Tool* tool = tools_.Find(agent.agent_id(), call.name);
    if (tool == nullptr) {
      return ToolOutcome{absl::StrCat("agent ", agent.agent_id(),
                                      " has no tool named ", call.name),
                         true};
    }
    for (const v1::ToolSpec& spec : agent.tools()) {
      if (spec.name() == call.name &&
          (spec.requires_confirmation() || spec.requires_approval())) {
        // Runs do not pause here, so a protected tool is never called.
        return ToolOutcome{
            absl::StrCat("tool ", call.name,
                         " needs confirmation or approval before each call; "
                         "it was not called"),
            true};
      }
    }
    ToolInvocation invocation;
    invocation.caller = request_.caller;
    invocation.run_id = request_.run_id;
    invocation.tool_call_id = event_call_id;
    invocation.arguments_json = call.arguments_json;
    invocation.scratch = &scratch_;
    invocation.cancelled = [this] { return Cancelled(); };
    return tool->Invoke(invocation);
  }

  absl::StatusOr<std::string> RunTeam(const v1::Team& team,
                                      const std::string& input,
                                      const std::string& parent_span) {
    std::vector<ToolDefinition> members;
    for (const std::string& member_id : team.member_agent_ids()) {
      absl::StatusOr<v1::Agent> member = registry_.FindAgent(member_id);
      if (!member.ok()) return member.status();
      members.push_back({member_id,
                         member->description().empty()
                             ? absl::StrCat("Member agent ", member_id)
                             : member->description(),
                         kMemberSchema});
    }
    const std::string what = absl::StrCat("team ", team.team_id(), " leader");
    return Loop(
        what, "member", team.model(), team.instructions(), team.max_iterations(),
        std::move(members), input, parent_span,
        [&](const ToolCallRequest& call, const std::string&,
            const std::string& span_id) -> absl::StatusOr<ToolOutcome> {
          return CallMember(team, call, span_id);
        });
  }

  absl::StatusOr<ToolOutcome> CallMember(const v1::Team& team,
                                         const ToolCallRequest& call,
                                         const std::string& span_id) {
    bool member = false;
    for (const std::string& id : team.member_agent_ids()) member |= id == call.name;
    if (!member) {
      return ToolOutcome{absl::StrCat("team ", team.team_id(),
                                      " has no member named ", call.name),
                         true};
    }
    const nlohmann::json arguments =
        nlohmann::json::parse(call.arguments_json, nullptr,
                              /*allow_exceptions=*/false);
    if (!arguments.is_object() || !arguments.contains("input") ||
        !arguments["input"].is_string()) {
      return ToolOutcome{
          absl::StrCat("a call of member ", call.name,
                       " needs arguments {\"input\": \"...\"}"),
          true};
    }
    absl::StatusOr<v1::Agent> agent = registry_.FindAgent(call.name);
    if (!agent.ok()) return agent.status();
    absl::StatusOr<std::string> answer =
        RunAgent(*agent, arguments["input"].get<std::string>(), span_id);
    if (!answer.ok()) {
      if (answer.status().code() == absl::StatusCode::kCancelled) {
        return answer.status();
      }
      return ToolOutcome{std::string(answer.status().message()), true};
    }
    return ToolOutcome{*answer, false};
  }

  absl::StatusOr<std::string> RunWorkflow(const v1::Workflow& workflow,
                                          const std::string& input,
                                          const std::string& parent_span) {
    std::string carried = input;
    for (const v1::WorkflowStep& step : workflow.steps()) {
      if (Cancelled()) return absl::CancelledError("cancelled");
      const std::string span_id = NextSpanId();
      const absl::Time start = options_.clock->Now();
      absl::StatusOr<std::string> output = RunComponent(
          step.component_type(), step.component_id(), carried, span_id);
      (void)EndSpan(span_id, parent_span, absl::StrCat("step ", step.name()),
                    start, output.status(),
                    {{"component_type", KindName(step.component_type())},
                     {"component_id", step.component_id()}});
      if (!output.ok()) {
        if (output.status().code() == absl::StatusCode::kCancelled) {
          return output.status();
        }
        return absl::Status(output.status().code(),
                            absl::StrCat("workflow ", workflow.workflow_id(),
                                         " step ", step.name(), ": ",
                                         output.status().message()));
      }
      carried = *std::move(output);
    }
    return carried;
  }

  const AgentRegistry& registry_;
  const ModelCatalog& models_;
  const Toolbox& tools_;
  const EngineOptions& options_;
  const RunRequest& request_;
  // The run's own tool state (RunScratch): fresh per run.
  RunScratch scratch_;
  int spans_ = 0;
  int calls_ = 0;
};

}  // namespace

RunEngine::RunEngine(const AgentRegistry* registry, const ModelCatalog* models,
                     const Toolbox* tools, EngineOptions options)
    : registry_(registry), models_(models), tools_(tools), options_(options) {}

RunOutcome RunEngine::Execute(const RunRequest& request) const {
  Execution execution(*registry_, *models_, *tools_, options_, request);
  return execution.Run();
}

}  // namespace bastion::runs
