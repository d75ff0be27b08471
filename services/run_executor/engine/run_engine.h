// Executes one run of an agent, team or workflow: a fresh run object built
// from the component's immutable spec, driving models and tools and
// recording every event and span of the run.
//
//   agent     model -> tool calls -> tool results -> model ... until the
//             model answers without tool calls; at most max_iterations
//             model calls (0: EngineOptions.default_max_iterations), else
//             the run fails saying so.
//   team      the leader's model is offered one tool per member, named after
//             the member's agent id, with arguments {"input": "..."}; each
//             such call runs that member agent on the input and hands its
//             answer back as the tool result; the leader's final answer is
//             the run's output.
//   workflow  steps in order, each step's output the next step's input; a
//             failed step fails the run.
//
// Tools: before any tool call runs, EngineOptions.tool_gate decides with the
// run's owner; a refused call never runs and the model gets an error result
// saying so. A call whose ToolSpec or gate verdict asks for confirmation or
// approval, or says the owner fills in some arguments (user_input_fields),
// runs it outside (external_execution) or has its confirmation recorded
// (audit_confirmation), pauses an agent run (after the other calls of the
// same model reply have run): a `paused` event lists the waiting calls
// (approval ones with the approval record RunRecorder::RequestApproval made)
// and the run ends PAUSED. Runs of teams and workflows do not pause: such a call of a
// member or step agent is refused. A continued run (RunRequest.continuation)
// rebuilds the model conversation from the stored events, runs or refuses
// each paused call with its stored arguments (completed with the owner's
// input, recorded again as a tool_call event of the same id; or answered
// with the owner's external result), and goes on.
//
// Events: started, then model_output (as text arrives), tool_call and
// tool_result for every call (team members' calls included), and exactly one
// of completed, failed or cancelled. Trace: one span per run (the root, its
// id the run id), model call, tool call, team member and workflow step, each
// the child of what made it.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_ENGINE_RUN_ENGINE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_ENGINE_RUN_ENGINE_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bastion/common/v1/common.pb.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"
#include "services/run_executor/engine/run_recorder.h"
#include "services/run_executor/engine/tool_gate.h"
#include "services/run_executor/model/model_catalog.h"
#include "services/run_executor/registry.h"
#include "services/run_executor/tools/toolbox.h"

namespace bastion::runs {

struct EngineOptions {
  // Model calls of an agent or team leader whose spec says 0.
  int default_max_iterations = 10;
  // Span and event times; not owned.
  const Clock* clock = SystemClock::Get();
  // Decides every tool call; not owned. Null refuses every tool call.
  const ToolGate* tool_gate = nullptr;
};

// What the owner's continuation decided for one paused call.
struct PausedCallDecision {
  // The call as stored when the run paused; its arguments are the ones run
  // (with the owner's user input merged in when arguments_completed).
  v1::ToolCall call;
  // Run the call (true) or tell the model it was refused (false).
  bool run = false;
  // Why not, when !run (shown to the model).
  std::string refusal;
  // call.arguments_json holds the owner's user input merged into the
  // stored arguments: a tool_call event with them is recorded before the
  // call runs.
  bool arguments_completed = false;
  // For an external_execution call: the result the owner brought, given to
  // the model instead of calling the tool.
  std::optional<ToolOutcome> external_result;
};

// A paused run being continued.
struct Continuation {
  // The run's stored events so far, in order (the last one is `paused`).
  std::vector<v1::RunEvent> history;
  // One per call of the paused event, in its order.
  std::vector<PausedCallDecision> decisions;
};

// What one run is asked to do. Everything pointed to must outlive Execute.
struct RunRequest {
  // The run's owner, as it stands at each call; tools act for it
  // (ForwardCaller).
  const RunCaller* caller = nullptr;
  std::string run_id;
  common::v1::ComponentType component_type =
      common::v1::COMPONENT_TYPE_UNSPECIFIED;
  std::string component_id;
  std::string session_id;
  std::string input;
  // Set when a paused run continues (agents only); null for a new run.
  const Continuation* continuation = nullptr;
  // Polled between steps and by models and tools; true cancels the run.
  std::function<bool()> cancelled;
  RunRecorder* recorder = nullptr;
};

// How a run ended (also recorded as its last event).
struct RunOutcome {
  common::v1::RunStatus status = common::v1::RUN_STATUS_UNSPECIFIED;
  // The final answer, when completed.
  std::string output;
  // The waiting calls, when paused.
  std::vector<v1::ToolCall> paused;
  // Caller-safe reason, when failed.
  std::string error;
};

// Thread-safe: holds only immutable shared parts (registry, models, tools);
// every Execute builds its own run state, so any number run at once.
class RunEngine {
 public:
  // Not owned; all must outlive the engine.
  RunEngine(const AgentRegistry* registry, const ModelCatalog* models,
            const Toolbox* tools, EngineOptions options);

  // Runs `request` to its end on the calling thread. A component the
  // registry does not know fails the run (the Runs service checks first).
  RunOutcome Execute(const RunRequest& request) const;

 private:
  const AgentRegistry* const registry_;
  const ModelCatalog* const models_;
  const Toolbox* const tools_;
  const EngineOptions options_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_ENGINE_RUN_ENGINE_H_
