// run-executor: serves the registry of agents, teams and workflows, runs
// them, resolves their approvals, keeps their schedules and fires the due
// ones.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/auth/guarded_fallback.h"
#include "common/auth/guard_wiring.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/run_executor/registry_service.h"
#include "services/run_executor/runs/approvals_service.h"
#include "services/run_executor/runs/runs_service.h"
#include "services/run_executor/runs/runs_stack.h"
#include "services/run_executor/schedules/schedules_service.h"
#include "services/run_executor/schedules/schedules_stack.h"
#ifdef BASTION_BENCHMARK_ONLY_UNSECURED
#include "bench/runs/unsecured_guard.h"
#endif

namespace bastion::runs {
namespace {

absl::StatusOr<v1::Registry> LoadRegistry(const std::string& path) {
  v1::Registry registry;
  if (!path.empty()) {
    RETURN_IF_ERROR(LoadConfig(path, /*env_prefix=*/"BASTION_REGISTRY_",
                               [](absl::string_view) { return std::nullopt; },
                               &registry));
  }
  return registry;
}

// `guard_parts` and `local_runs`: empty (authn and authz are asked over
// the network), except in the benchmark-only build (see main).
absl::Status Run(const std::string& config_path, LocalGuardParts guard_parts,
                 LocalRunsParts local_runs) {
  v1::RunExecutorConfig config;
  RETURN_IF_ERROR(LoadConfig(config_path, "BASTION_", ProcessEnv(), &config));
  ASSIGN_OR_RETURN(v1::Registry specs, LoadRegistry(config.registry_file()));
  ASSIGN_OR_RETURN(AgentRegistry registry, AgentRegistry::Create(specs));
  // authn, authz, the services whose users' assertions it accepts, rate
  // limits, and denials audited through data's AuditWriter.
  ASSIGN_OR_RETURN(std::unique_ptr<GuardWiring> wiring,
                   GuardWiring::FromConfig(config, "run_executor",
                                            std::move(guard_parts)));
  const GuardDependencies& dependencies = wiring->dependencies();

  ASSIGN_OR_RETURN(CallGuard agents_guard,
                   CallGuard::Create(v1::Agents::service_full_name(),
                                     dependencies));
  ASSIGN_OR_RETURN(CallGuard teams_guard,
                   CallGuard::Create(v1::Teams::service_full_name(),
                                     dependencies));
  ASSIGN_OR_RETURN(CallGuard workflows_guard,
                   CallGuard::Create(v1::Workflows::service_full_name(),
                                     dependencies));
  ASSIGN_OR_RETURN(CallGuard runs_guard,
                   CallGuard::Create(v1::Runs::service_full_name(),
                                     dependencies));
  ASSIGN_OR_RETURN(CallGuard approvals_guard,
                   CallGuard::Create(v1::Approvals::service_full_name(),
                                     dependencies));
  ASSIGN_OR_RETURN(CallGuard schedules_guard,
                   CallGuard::Create(v1::Schedules::service_full_name(),
                                     dependencies));
  ASSIGN_OR_RETURN(std::unique_ptr<RunsStack> stack,
                   RunsStack::Create(config, specs, &registry,
                                     &wiring->channels(), dependencies.audit,
                                     ProcessEnv(), std::move(local_runs)));
  RunsService runs(stack->manager(), std::move(runs_guard));
  ApprovalsService approvals(stack->approvals(), std::move(approvals_guard));
  // Declared after the runs: its scheduler stops before they go away.
  ASSIGN_OR_RETURN(std::unique_ptr<schedules::SchedulesStack> schedule_stack,
                   schedules::SchedulesStack::Create(config, &registry,
                                                     dependencies,
                                                     &wiring->channels(),
                                                     stack.get()));
  schedules::SchedulesService schedules(schedule_stack->manager(),
                                        std::move(schedules_guard));
  AgentsService agents(&registry, std::move(agents_guard),
                       dependencies.authorizer);
  TeamsService teams(&registry, std::move(teams_guard), dependencies.authorizer);
  WorkflowsService workflows(&registry, std::move(workflows_guard),
                             dependencies.authorizer);

  const std::vector<ServiceBinding> served = {
      {&agents, v1::Agents::service_full_name()},
      {&teams, v1::Teams::service_full_name()},
      {&workflows, v1::Workflows::service_full_name()},
      {&runs, v1::Runs::service_full_name()},
      {&approvals, v1::Approvals::service_full_name()},
      {&schedules, v1::Schedules::service_full_name()}};
  // ToolService (the contract tool servers implement): guarded, then
  // UNIMPLEMENTED.
  return ServeDeclared(ServerOptionsFrom(config, wiring->server_credentials()),
                       served,
                       *v1::Agent::descriptor()->file(), dependencies);
}

}  // namespace
}  // namespace bastion::runs

int main(int argc, char** argv) {
  bastion::SetLogService("run_executor");
  const std::string config_path = argc > 1 ? argv[1] : "";
  bastion::LocalGuardParts guard_parts;
  bastion::runs::LocalRunsParts local_runs;
#ifdef BASTION_BENCHMARK_ONLY_UNSECURED
  // Only the benchmark's build of this file (bench/runs/BUILD) takes
  // "--security=off" after the config path; the service target has no such
  // argument and its configuration no such key.
  bastion::bench::UnsecuredGuard unsecured;
  absl::StatusOr<bastion::LocalGuardParts> parts =
      bastion::bench::PartsFromArgs(argc, argv, &unsecured, {});
  if (!parts.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", parts.status().ToString()}});
    return 2;
  }
  guard_parts = *std::move(parts);
  // With the guard off there is no verified assertion to exchange: the run
  // acts with its owner's assertion as it came.
  if (guard_parts.authorizer != nullptr) {
    local_runs.delegations =
        std::make_unique<bastion::bench::PassThroughDelegations>();
    local_runs.tool_gate = std::make_unique<bastion::bench::AllowAllTools>();
  }
#endif
  absl::Status status = bastion::runs::Run(config_path, std::move(guard_parts),
                                           std::move(local_runs));
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
