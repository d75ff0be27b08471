// agents, teams, workflows: list and show the components run-executor's
// registry offers.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/status/status_macros.h"
#include "tools/cli/commands.h"
#include "tools/cli/listing.h"

namespace bastion::cli {
namespace {

namespace runs = bastion::runs::v1;

std::string YesNo(bool value) { return value ? "yes" : "no"; }

std::string SessionPolicyName(runs::SessionPolicy policy) {
  switch (policy) {
    case runs::SESSION_POLICY_ENQUEUE:
      return "enqueue";
    case runs::SESSION_POLICY_INTERRUPT:
      return "interrupt";
    default:
      return "reject";
  }
}

std::string OrDefault(int value, const std::string& fallback) {
  return value == 0 ? fallback : absl::StrCat(value);
}

absl::Status ListAgents(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ListAgentsResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns, &runs::Agents::Stub::ListAgents,
                              runs::ListAgentsRequest(), &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.agents().empty()) {
    out.Line("No agents.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const runs::Agent& agent : response.agents()) {
    rows.push_back({Cell(agent.agent_id(), Colour::kCyan), agent.name(),
                    agent.model(), absl::StrCat(agent.tools_size()),
                    agent.description()});
  }
  out.Table({"ID", "NAME", "MODEL", "TOOLS", "DESCRIPTION"}, rows);
  return absl::OkStatus();
}

absl::Status ShowAgent(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::GetAgentRequest request;
  request.set_agent_id(context.args().positionals()[0]);
  runs::Agent agent;
  RETURN_IF_ERROR(client.Call(Service::kRuns, &runs::Agents::Stub::GetAgent,
                              request, &agent));
  Output& out = context.out();
  if (out.json()) return out.Json(agent);
  out.Fields({
      {"ID", Cell(agent.agent_id(), Colour::kCyan)},
      {"Name", agent.name()},
      {"Description", agent.description()},
      {"Model", agent.model()},
      {"Max iterations", OrDefault(agent.max_iterations(), "10 (default)")},
      {"Session policy", SessionPolicyName(agent.session_policy())},
      {"Instructions", agent.instructions()},
  });
  if (agent.tools().empty()) return absl::OkStatus();
  out.Line("");
  std::vector<std::vector<Cell>> rows;
  for (const runs::ToolSpec& tool : agent.tools()) {
    rows.push_back(
        {Cell(tool.name(), Colour::kCyan), YesNo(tool.requires_confirmation()),
         Cell(YesNo(tool.requires_approval()),
              tool.requires_approval() ? Colour::kYellow : Colour::kNone),
         tool.endpoint().empty() ? "built-in" : tool.endpoint(),
         tool.description()});
  }
  out.Table({"TOOL", "CONFIRM", "APPROVAL", "WHERE", "DESCRIPTION"}, rows);
  return absl::OkStatus();
}

absl::Status ListTeams(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ListTeamsResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns, &runs::Teams::Stub::ListTeams,
                              runs::ListTeamsRequest(), &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.teams().empty()) {
    out.Line("No teams.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const runs::Team& team : response.teams()) {
    rows.push_back({Cell(team.team_id(), Colour::kCyan), team.name(),
                    team.model(), absl::StrJoin(team.member_agent_ids(), " "),
                    team.description()});
  }
  out.Table({"ID", "NAME", "MODEL", "MEMBERS", "DESCRIPTION"}, rows);
  return absl::OkStatus();
}

absl::Status ShowTeam(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::GetTeamRequest request;
  request.set_team_id(context.args().positionals()[0]);
  runs::Team team;
  RETURN_IF_ERROR(
      client.Call(Service::kRuns, &runs::Teams::Stub::GetTeam, request, &team));
  Output& out = context.out();
  if (out.json()) return out.Json(team);
  out.Fields({
      {"ID", Cell(team.team_id(), Colour::kCyan)},
      {"Name", team.name()},
      {"Description", team.description()},
      {"Leader model", team.model()},
      {"Members", absl::StrJoin(team.member_agent_ids(), " ")},
      {"Max iterations", OrDefault(team.max_iterations(), "10 (default)")},
      {"Session policy", SessionPolicyName(team.session_policy())},
      {"Instructions", team.instructions()},
  });
  return absl::OkStatus();
}

absl::Status ListWorkflows(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::ListWorkflowsResponse response;
  RETURN_IF_ERROR(client.Call(Service::kRuns,
                              &runs::Workflows::Stub::ListWorkflows,
                              runs::ListWorkflowsRequest(), &response));
  Output& out = context.out();
  if (out.json()) return out.Json(response);
  if (response.workflows().empty()) {
    out.Line("No workflows.", Colour::kDim);
    return absl::OkStatus();
  }
  std::vector<std::vector<Cell>> rows;
  for (const runs::Workflow& workflow : response.workflows()) {
    rows.push_back({Cell(workflow.workflow_id(), Colour::kCyan),
                    workflow.name(), absl::StrCat(workflow.steps_size()),
                    workflow.description()});
  }
  out.Table({"ID", "NAME", "STEPS", "DESCRIPTION"}, rows);
  return absl::OkStatus();
}

absl::Status ShowWorkflow(CommandContext& context) {
  ASSIGN_OR_RETURN(Client client, context.Connect());
  runs::GetWorkflowRequest request;
  request.set_workflow_id(context.args().positionals()[0]);
  runs::Workflow workflow;
  RETURN_IF_ERROR(client.Call(
      Service::kRuns, &runs::Workflows::Stub::GetWorkflow, request, &workflow));
  Output& out = context.out();
  if (out.json()) return out.Json(workflow);
  out.Fields({
      {"ID", Cell(workflow.workflow_id(), Colour::kCyan)},
      {"Name", workflow.name()},
      {"Description", workflow.description()},
      {"Session policy", SessionPolicyName(workflow.session_policy())},
  });
  out.Line("");
  std::vector<std::vector<Cell>> rows;
  int number = 0;
  for (const runs::WorkflowStep& step : workflow.steps()) {
    rows.push_back(
        {absl::StrCat(++number), step.name(),
         Cell(ComponentLabel(step.component_type(), step.component_id()),
              Colour::kCyan)});
  }
  out.Table({"#", "STEP", "RUNS"}, rows);
  return absl::OkStatus();
}

}  // namespace

void AddRegistryCommands(CommandTable* table) {
  table->groups.push_back({"agents", "The registered agents"});
  table->groups.push_back({"teams", "The registered teams"});
  table->groups.push_back({"workflows", "The registered workflows"});
  table->commands.push_back(Command{{"agents", "list"},
                                    "List the registered agents",
                                    "",
                                    {},
                                    {},
                                    ListAgents});
  table->commands.push_back(Command{{"agents", "show"},
                                    "Show one agent with its tools",
                                    "",
                                    {{"AGENT_ID", "The agent's id"}},
                                    {},
                                    ShowAgent});
  table->commands.push_back(Command{
      {"teams", "list"}, "List the registered teams", "", {}, {}, ListTeams});
  table->commands.push_back(Command{{"teams", "show"},
                                    "Show one team",
                                    "",
                                    {{"TEAM_ID", "The team's id"}},
                                    {},
                                    ShowTeam});
  table->commands.push_back(Command{{"workflows", "list"},
                                    "List the registered workflows",
                                    "",
                                    {},
                                    {},
                                    ListWorkflows});
  table->commands.push_back(Command{{"workflows", "show"},
                                    "Show one workflow with its steps",
                                    "",
                                    {{"WORKFLOW_ID", "The workflow's id"}},
                                    {},
                                    ShowWorkflow});
}

}  // namespace bastion::cli
