// Everything a run-executor needs to execute runs and resolve their
// approvals, built once at startup from its config and registry: models,
// tools, the engine, data, the RunManager and the ApprovalManager. main.cc
// only builds one and serves its managers.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUNS_STACK_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUNS_STACK_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/auth/audit_sink.h"
#include "common/auth/channel_factory.h"
#include "common/config/config.h"
#include "services/run_executor/engine/run_engine.h"
#include "services/run_executor/model/model_catalog.h"
#include "services/run_executor/registry.h"
#include "services/run_executor/runs/approval_manager.h"
#include "services/run_executor/runs/approval_records.h"
#include "services/run_executor/engine/tool_gate.h"
#include "services/run_executor/runs/run_data.h"
#include "services/run_executor/runs/run_delegation.h"
#include "services/run_executor/runs/run_manager.h"
#include "services/run_executor/tools/toolbox.h"

namespace bastion::runs {

// The RunManager's options from the config (defaults for unset fields).
// INVALID_ARGUMENT naming the field for a negative value.
absl::StatusOr<RunsOptions> RunsOptionsFrom(const v1::RunLimits& limits);

// What the benchmark-only build puts in place of authn's delegations and
// authz's tool decisions; empty everywhere else.
struct LocalRunsParts {
  std::unique_ptr<DelegationClient> delegations;
  std::unique_ptr<ToolGate> tool_gate;
};

// Owns its parts; the manager is destroyed first (its runs end before the
// tools and models they use go away).
class RunsStack {
 public:
  // `registry` (already validated as `specs`), `channels` (the service's
  // ChannelFactory, with its identity) and `audit` (where refused tool calls
  // are audited; may be null) must outlive the stack. data_address,
  // authn_address and authz_address are required.
  static absl::StatusOr<std::unique_ptr<RunsStack>> Create(
      const v1::RunExecutorConfig& config, const v1::Registry& specs,
      const AgentRegistry* registry, const ChannelFactory* channels,
      AuditSink* audit, const EnvLookup& env, LocalRunsParts local = {});

  RunManager* manager() { return manager_.get(); }
  ApprovalManager* approvals() { return approvals_.get(); }
  // authn's Delegations, as the runs use it (the schedules share it).
  DelegationClient* delegations() { return delegations_.get(); }

 private:
  RunsStack() = default;

  std::unique_ptr<ModelCatalog> models_;
  std::unique_ptr<Toolbox> tools_;
  std::unique_ptr<ToolGate> gate_;
  std::unique_ptr<RunEngine> engine_;
  std::unique_ptr<RunData> data_;
  std::unique_ptr<ApprovalRecords> approval_records_;
  std::unique_ptr<ApprovalManager> approvals_;
  std::unique_ptr<DelegationClient> delegations_;
  // Declared last: destroyed first.
  std::unique_ptr<RunManager> manager_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUNS_STACK_H_
