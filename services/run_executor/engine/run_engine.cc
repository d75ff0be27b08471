#include "services/run_executor/engine/run_engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using common::v1::ComponentType;
using Role = ChatMessage::Role;

constexpr char kMemberSchema[] =
    R"({"type":"object","properties":{"input":{"type":"string",)"
    R"("description":"what the member should do"}},"required":["input"]})";

// What became of one tool call the model asked for: a result for the model,
// or (agent runs only) a pause until someone decides on it.
struct CallStep {
  ToolOutcome outcome;
  bool pause = false;
  bool requires_confirmation = false;
  bool requires_approval = false;
  // What the owner supplies on continue (ToolSpec's fields of that name).
  std::vector<std::string> user_input_fields = {};
  bool external_execution = false;
  bool audit_confirmation = false;
};

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
    const Continuation* continuation = request_.continuation;
    absl::Status recorded;
    std::string root_span = request_.run_id;
    std::string root_parent;
    if (continuation == nullptr) {
      v1::RunEvent started;
      started.mutable_started()->set_component_type(request_.component_type);
      started.mutable_started()->set_component_id(request_.component_id);
      started.mutable_started()->set_session_id(request_.session_id);
      recorded = Record(std::move(started));
    } else {
      // Span ids of this part of the run must differ from the earlier ones.
      const int64_t after =
          continuation->history.empty() ? 0 : continuation->history.back().seq();
      span_prefix_ = absl::StrCat("c", after, "-");
      root_span = absl::StrCat(request_.run_id, "/", span_prefix_, "run");
      root_parent = request_.run_id;
    }
    absl::StatusOr<std::string> output =
        !recorded.ok() ? absl::StatusOr<std::string>(recorded)
        : continuation != nullptr
            ? Resume(*continuation, root_span)
            : RunComponent(request_.component_type, request_.component_id,
                           request_.input, root_span, /*top=*/true);
    if (output.ok() && paused_.empty() && Cancelled()) {
      output = absl::CancelledError("cancelled");
    }

    RunOutcome outcome;
    v1::RunEvent last;
    if (output.ok() && !paused_.empty()) {
      outcome.status = common::v1::RUN_STATUS_PAUSED;
      outcome.paused = paused_;
      for (const v1::ToolCall& call : paused_) {
        *last.mutable_paused()->add_requirements() = call;
      }
    } else if (output.ok()) {
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
    (void)EndSpan(root_span, root_parent,
                  absl::StrCat(continuation == nullptr ? "run " : "continue ",
                               KindName(request_.component_type), " ",
                               request_.component_id),
                  start, output.status(),
                  {{"paused", !paused_.empty()}});
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

  std::string NextSpanId() { return absl::StrCat(span_prefix_, "s", ++spans_); }

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

  // `top`: the run's own component (only an agent run of its own may pause).
  absl::StatusOr<std::string> RunComponent(ComponentType type,
                                           const std::string& id,
                                           const std::string& input,
                                           const std::string& parent_span,
                                           bool top) {
    if (Cancelled()) return absl::CancelledError("cancelled");
    switch (type) {
      case common::v1::COMPONENT_TYPE_AGENT: {
        absl::StatusOr<v1::Agent> agent = registry_.FindAgent(id);
        if (!agent.ok()) return agent.status();
        return RunAgent(*agent, input, parent_span, /*may_pause=*/top);
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
  using ToolRunner = std::function<absl::StatusOr<CallStep>(
      const ToolCallRequest& call, const std::string& event_call_id,
      const std::string& span_id)>;

  // The conversation a model starts with.
  static ModelRequest Conversation(std::vector<ToolDefinition> tools,
                                   const std::string& instructions,
                                   const std::string& input) {
    ModelRequest conversation;
    conversation.tools = std::move(tools);
    if (!instructions.empty()) {
      conversation.messages.push_back({Role::kSystem, instructions, {}, "", ""});
    }
    conversation.messages.push_back({Role::kUser, input, {}, "", ""});
    return conversation;
  }

  // The model loop shared by agents and team leaders, from `conversation`
  // after `done` model calls; `call_kind` names the spans of the calls
  // ("tool", "member"). Returns the final answer, or "" with paused_ set
  // when a call waits for a decision.
  absl::StatusOr<std::string> Loop(const std::string& what,
                                   const char* call_kind,
                                   const std::string& model_reference,
                                   int max_iterations,
                                   ModelRequest conversation, int done,
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

    for (int iteration = done; iteration < limit; ++iteration) {
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
        absl::StatusOr<CallStep> step =
            run_tool(tool_call, event_call_id, tool_span);
        if (!step.ok() &&
            step.status().code() == absl::StatusCode::kCancelled) {
          return step.status();
        }
        if (!step.ok()) {
          step = CallStep{{std::string(step.status().message()), true}};
        }
        if (step->pause) {
          v1::ToolCall waiting;
          waiting.set_tool_call_id(event_call_id);
          waiting.set_tool_name(tool_call.name);
          waiting.set_arguments_json(tool_call.arguments_json);
          waiting.set_requires_confirmation(step->requires_confirmation);
          waiting.set_requires_approval(step->requires_approval);
          for (const std::string& field : step->user_input_fields) {
            waiting.add_user_input_fields(field);
          }
          waiting.set_external_execution(step->external_execution);
          waiting.set_audit_confirmation(step->audit_confirmation);
          if (step->requires_approval) {
            absl::StatusOr<std::string> approval =
                request_.recorder->RequestApproval(waiting);
            if (!approval.ok()) return approval.status();
            waiting.set_approval_id(*approval);
          }
          (void)EndSpan(tool_span, parent_span,
                        absl::StrCat(call_kind, " ", tool_call.name), tool_start,
                        absl::OkStatus(),
                        {{"tool_call_id", event_call_id}, {"paused", true}});
          paused_.push_back(std::move(waiting));
          continue;
        }
        (void)EndSpan(tool_span, parent_span, absl::StrCat(call_kind, " ", tool_call.name),
                      tool_start,
                      step->outcome.is_error ? absl::UnknownError("error result")
                                             : absl::OkStatus(),
                      {{"tool_call_id", event_call_id}});
        if (absl::Status stored =
                RecordResult(event_call_id, tool_call.name, step->outcome,
                             &conversation.messages.emplace_back());
            !stored.ok()) {
          return stored;
        }
        conversation.messages.back().tool_call_id = tool_call.id;
      }
      if (!paused_.empty()) return std::string();
    }
    return absl::ResourceExhaustedError(absl::StrCat(
        what, " made ", limit, " model calls (its max_iterations) without a "
        "final answer"));
  }

  // Records the result event of `call_id` and fills `message` with it for
  // the model.
  absl::Status RecordResult(const std::string& call_id,
                            const std::string& tool_name,
                            const ToolOutcome& outcome, ChatMessage* message) {
    v1::RunEvent answered;
    answered.mutable_tool_result()->set_tool_call_id(call_id);
    answered.mutable_tool_result()->set_content(outcome.content);
    answered.mutable_tool_result()->set_is_error(outcome.is_error);
    *message = {Role::kTool, outcome.content, {}, call_id, tool_name};
    return Record(std::move(answered));
  }

  // `may_pause`: the agent is the run's own component, not a team member
  // or a workflow step.
  absl::StatusOr<std::string> RunAgent(const v1::Agent& agent,
                                       const std::string& input,
                                       const std::string& parent_span,
                                       bool may_pause) {
    return Loop(absl::StrCat("agent ", agent.agent_id()), "tool",
                agent.model(), agent.max_iterations(),
                Conversation(tools_.Definitions(agent.agent_id()),
                             agent.instructions(), input),
                /*done=*/0, parent_span, AgentTools(agent, may_pause));
  }

  ToolRunner AgentTools(const v1::Agent& agent, bool may_pause) {
    return [this, &agent, may_pause](
               const ToolCallRequest& call, const std::string& event_call_id,
               const std::string&) -> absl::StatusOr<CallStep> {
      return CallTool(agent, call, event_call_id, may_pause);
    };
  }

  static const v1::ToolSpec* SpecOf(const v1::Agent& agent,
                                    const std::string& name) {
    for (const v1::ToolSpec& spec : agent.tools()) {
      if (spec.name() == name) return &spec;
    }
    return nullptr;
  }

  // The gate's verdict on `tool_name` for the run's owner; a refusal (or a
  // gate that cannot answer) as the result the model gets.
  absl::StatusOr<ToolVerdict> Permit(const std::string& tool_name) {
    if (options_.tool_gate == nullptr) {
      return absl::PermissionDeniedError(absl::StrCat(
          "tool ", tool_name, " was not called: tool permissions cannot be "
          "checked"));
    }
    absl::StatusOr<ToolVerdict> verdict =
        options_.tool_gate->Check(request_.caller->Current(), request_.run_id,
                                  tool_name);
    if (!verdict.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "tool ", tool_name, " was not called: its permission could not be "
          "checked"));
    }
    if (!verdict->allowed) {
      return absl::PermissionDeniedError(absl::StrCat(
          "tool ", tool_name, " was not called: you are not allowed to use "
          "it"));
    }
    return verdict;
  }

  absl::StatusOr<CallStep> CallTool(const v1::Agent& agent,
                                    const ToolCallRequest& call,
                                    const std::string& event_call_id,
                                    bool may_pause) {
    const Tool* tool = tools_.Find(agent.agent_id(), call.name);
    const v1::ToolSpec* spec = SpecOf(agent, call.name);
    if (tool == nullptr || spec == nullptr) {
      return CallStep{{absl::StrCat("agent ", agent.agent_id(),
                                    " has no tool named ", call.name),
                       true}};
    }
    absl::StatusOr<ToolVerdict> verdict = Permit(call.name);
    if (!verdict.ok()) {
      return CallStep{{std::string(verdict.status().message()), true}};
    }
    const bool approve = spec->requires_approval() || verdict->requires_approval;
    // An approval is the call's record already: no audit row beside it.
    const bool audit = spec->audit_confirmation() && !approve;
    const bool confirm = spec->requires_confirmation() ||
                         verdict->requires_confirmation || audit;
    const bool user_input = !spec->user_input_fields().empty();
    const bool external = spec->external_execution();
    if (approve && user_input) {
      // An approval covers the arguments as they are; the owner's input
      // would change them afterwards.
      return CallStep{
          {absl::StrCat("tool ", call.name,
                        " needs an approver's approval and the owner's "
                        "input, and approved arguments cannot change; it "
                        "was not called"),
           true}};
    }
    if (confirm || approve || user_input || external) {
      if (!may_pause) {
        // Runs of teams and workflows do not pause: never called.
        return CallStep{
            {absl::StrCat("tool ", call.name,
                          " needs a decision, input or result from a person "
                          "before each call, and runs of teams and workflows "
                          "do not pause; it was not called"),
             true}};
      }
      CallStep step;
      step.pause = true;
      step.requires_confirmation = confirm;
      step.requires_approval = approve;
      step.user_input_fields.assign(spec->user_input_fields().begin(),
                                    spec->user_input_fields().end());
      step.external_execution = external;
      step.audit_confirmation = audit;
      return step;
    }
    return CallStep{Invoke(*tool, call.arguments_json, event_call_id)};
  }

  ToolOutcome Invoke(const Tool& tool, const std::string& arguments_json,
                     const std::string& event_call_id) {
    ToolInvocation invocation;
    invocation.caller = request_.caller;
    invocation.run_id = request_.run_id;
    invocation.tool_call_id = event_call_id;
    invocation.arguments_json = arguments_json;
    invocation.scratch = &scratch_;
    invocation.cancelled = [this] { return Cancelled(); };
    absl::StatusOr<ToolOutcome> outcome = tool.Invoke(invocation);
    if (!outcome.ok()) {
      return ToolOutcome{std::string(outcome.status().message()), true};
    }
    return *std::move(outcome);
  }

  // Continues a paused agent run: the conversation rebuilt from the stored
  // events, then each paused call run with its stored arguments or refused,
  // then the model loop with the model calls already made counted.
  absl::StatusOr<std::string> Resume(const Continuation& continuation,
                                     const std::string& parent_span) {
    if (request_.component_type != common::v1::COMPONENT_TYPE_AGENT) {
      return absl::FailedPreconditionError("only agent runs pause");
    }
    absl::StatusOr<v1::Agent> agent = registry_.FindAgent(request_.component_id);
    if (!agent.ok()) return agent.status();
    ModelRequest conversation =
        Conversation(tools_.Definitions(agent->agent_id()),
                     agent->instructions(), request_.input);
    int done = 0;
    bool replying = false;  // the last message is the model's open reply
    std::map<std::string, std::string> names;  // call id -> tool name
    // call id -> (message, call) of its place in the conversation.
    std::map<std::string, std::pair<size_t, size_t>> places;
    for (const v1::RunEvent& event : continuation.history) {
      if (event.has_tool_call()) {
        // A call recorded again when a continuation completed its
        // arguments: those are the ones it ran with.
        auto place = places.find(event.tool_call().tool_call_id());
        if (place != places.end()) {
          conversation.messages[place->second.first]
              .tool_calls[place->second.second]
              .arguments_json = event.tool_call().arguments_json();
          continue;
        }
      }
      if (event.has_model_output() || event.has_tool_call()) {
        if (!replying) {
          conversation.messages.push_back({Role::kAssistant, "", {}, "", ""});
          replying = true;
          ++done;
        }
        ChatMessage& reply = conversation.messages.back();
        if (event.has_model_output()) {
          reply.content += event.model_output().text();
          continue;
        }
        const v1::ToolCall& call = event.tool_call();
        places[call.tool_call_id()] = {conversation.messages.size() - 1,
                                       reply.tool_calls.size()};
        reply.tool_calls.push_back(
            {call.tool_call_id(), call.tool_name(), call.arguments_json()});
        names[call.tool_call_id()] = call.tool_name();
        int number = 0;
        if (absl::StartsWith(call.tool_call_id(), "call-") &&
            absl::SimpleAtoi(call.tool_call_id().substr(5), &number)) {
          calls_ = std::max(calls_, number);
        }
      } else if (event.has_tool_result()) {
        const v1::ToolResult& result = event.tool_result();
        conversation.messages.push_back({Role::kTool, result.content(), {},
                                         result.tool_call_id(),
                                         names[result.tool_call_id()]});
        replying = false;
      }
    }
    for (const PausedCallDecision& decision : continuation.decisions) {
      if (Cancelled()) return absl::CancelledError("cancelled");
      const v1::ToolCall& call = decision.call;
      const std::string tool_span = NextSpanId();
      const absl::Time tool_start = options_.clock->Now();
      ToolOutcome outcome{decision.refusal, true};
      if (decision.run && decision.arguments_completed) {
        v1::RunEvent completed;
        *completed.mutable_tool_call() = call;
        completed.mutable_tool_call()->set_requires_confirmation(false);
        completed.mutable_tool_call()->set_requires_approval(false);
        completed.mutable_tool_call()->clear_approval_id();
        completed.mutable_tool_call()->clear_user_input_fields();
        completed.mutable_tool_call()->set_audit_confirmation(false);
        if (absl::Status stored = Record(std::move(completed)); !stored.ok()) {
          return stored;
        }
      }
      if (decision.run) {
        // The permission is checked again: it may have changed meanwhile.
        const Tool* tool = tools_.Find(agent->agent_id(), call.tool_name());
        absl::StatusOr<ToolVerdict> verdict = Permit(call.tool_name());
        if (tool == nullptr) {
          outcome = {absl::StrCat("agent ", agent->agent_id(),
                                  " has no tool named ", call.tool_name()),
                     true};
        } else if (!verdict.ok()) {
          outcome = {std::string(verdict.status().message()), true};
        } else if (decision.external_result.has_value()) {
          outcome = *decision.external_result;
        } else if (call.external_execution()) {
          outcome = {absl::StrCat("tool ", call.tool_name(),
                                  " runs outside Bastion and no result was "
                                  "given; it was not called"),
                     true};
        } else {
          outcome = Invoke(*tool, call.arguments_json(), call.tool_call_id());
        }
      }
      (void)EndSpan(tool_span, parent_span, absl::StrCat("tool ", call.tool_name()),
                    tool_start,
                    outcome.is_error ? absl::UnknownError("error result")
                                     : absl::OkStatus(),
                    {{"tool_call_id", call.tool_call_id()}});
      if (absl::Status stored =
              RecordResult(call.tool_call_id(), call.tool_name(), outcome,
                           &conversation.messages.emplace_back());
          !stored.ok()) {
        return stored;
      }
    }
    return Loop(absl::StrCat("agent ", agent->agent_id()), "tool",
                agent->model(), agent->max_iterations(), std::move(conversation),
                done, parent_span, AgentTools(*agent, /*may_pause=*/true));
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
    return Loop(
        absl::StrCat("team ", team.team_id(), " leader"), "member", team.model(),
        team.max_iterations(),
        Conversation(std::move(members), team.instructions(), input),
        /*done=*/0, parent_span,
        [&](const ToolCallRequest& call, const std::string&,
            const std::string& span_id) -> absl::StatusOr<CallStep> {
          absl::StatusOr<ToolOutcome> outcome = CallMember(team, call, span_id);
          if (!outcome.ok()) return outcome.status();
          return CallStep{*std::move(outcome)};
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
        RunAgent(*agent, arguments["input"].get<std::string>(), span_id,
                 /*may_pause=*/false);
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
      absl::StatusOr<std::string> output =
          RunComponent(step.component_type(), step.component_id(), carried,
                       span_id, /*top=*/false);
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
  // The run's own tool state (RunScratch): fresh per run (a continued run
  // starts with a fresh one).
  RunScratch scratch_;
  // Calls waiting for a decision; the run pauses when not empty.
  std::vector<v1::ToolCall> paused_;
  std::string span_prefix_;
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
