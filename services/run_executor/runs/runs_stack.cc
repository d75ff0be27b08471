#include "services/run_executor/runs/runs_stack.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/run_executor/runs/authz_tool_gate.h"
#include "services/run_executor/runs/batched_ends.h"

namespace bastion::runs {
namespace {

// data's bound on an approval's ttl.
constexpr int32_t kMaxApprovalTtlSeconds = 7 * 24 * 3600;

}  // namespace

absl::StatusOr<RunsOptions> RunsOptionsFrom(const v1::RunLimits& limits) {
  const std::pair<const char*, int32_t> fields[] = {
      {"max_runs_per_principal", limits.max_runs_per_principal()},
      {"max_runs_per_tenant", limits.max_runs_per_tenant()},
      {"max_input_bytes", limits.max_input_bytes()},
      {"stream_buffer_events", limits.stream_buffer_events()},
      {"default_max_iterations", limits.default_max_iterations()},
      {"poll_interval_ms", limits.poll_interval_ms()},
      {"session_wait_seconds", limits.session_wait_seconds()},
      {"lease_seconds", limits.lease_seconds()},
      {"delegation_check_interval_ms", limits.delegation_check_interval_ms()},
      {"approval_ttl_seconds", limits.approval_ttl_seconds()}};
  for (const auto& [name, value] : fields) {
    if (value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("run_limits.", name, " must not be negative"));
    }
  }
  if (limits.approval_ttl_seconds() > kMaxApprovalTtlSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "run_limits.approval_ttl_seconds must be at most ",
        kMaxApprovalTtlSeconds));
  }
  RunsOptions options;
  if (limits.approval_ttl_seconds() > 0) {
    options.approval_ttl = absl::Seconds(limits.approval_ttl_seconds());
  }
  if (limits.max_runs_per_principal() > 0) {
    options.max_runs_per_principal = limits.max_runs_per_principal();
  }
  if (limits.max_runs_per_tenant() > 0) {
    options.max_runs_per_tenant = limits.max_runs_per_tenant();
  }
  if (limits.max_input_bytes() > 0) {
    options.max_input_bytes = static_cast<size_t>(limits.max_input_bytes());
  }
  if (limits.stream_buffer_events() > 0) {
    options.stream_buffer_events =
        static_cast<size_t>(limits.stream_buffer_events());
  }
  if (limits.poll_interval_ms() > 0) {
    options.poll_interval = absl::Milliseconds(limits.poll_interval_ms());
  }
  if (limits.lease_seconds() > 0) {
    options.lease = absl::Seconds(limits.lease_seconds());
  }
  if (limits.delegation_check_interval_ms() > 0) {
    options.delegation_check_interval =
        absl::Milliseconds(limits.delegation_check_interval_ms());
  }
  if (limits.session_wait_seconds() > 0) {
    options.session_wait = absl::Seconds(limits.session_wait_seconds());
  }
  return options;
}

absl::StatusOr<std::unique_ptr<RunsStack>> RunsStack::Create(
    const v1::RunExecutorConfig& config, const v1::Registry& specs,
    const AgentRegistry* registry, const ChannelFactory* channels,
    AuditSink* audit, const EnvLookup& env, LocalRunsParts local) {
  if (config.data_address().empty()) {
    return absl::InvalidArgumentError(
        "data_address is required: runs are stored in data");
  }
  if (config.authn_address().empty()) {
    return absl::InvalidArgumentError(
        "authn_address is required: runs act for their users through "
        "authn's delegations");
  }
  if (config.authz_address().empty()) {
    return absl::InvalidArgumentError(
        "authz_address is required: authz decides every tool call");
  }
  ASSIGN_OR_RETURN(RunsOptions options, RunsOptionsFrom(config.run_limits()));
  std::unique_ptr<RunsStack> stack(new RunsStack());
  ASSIGN_OR_RETURN(stack->models_,
                   ModelCatalog::Create(specs, env, SystemClock::Get()));
  std::shared_ptr<grpc::Channel> data = channels->Channel(config.data_address());
  ToolboxOptions tool_options;
  tool_options.channels = channels;
  tool_options.data = data;
  ASSIGN_OR_RETURN(stack->tools_,
                   Toolbox::Create(registry->agents(), std::move(tool_options)));
  stack->gate_ = local.tool_gate != nullptr
                     ? std::move(local.tool_gate)
                     : std::make_unique<AuthzToolGate>(
                           channels->Channel(config.authz_address()), audit);
  EngineOptions engine_options;
  engine_options.tool_gate = stack->gate_.get();
  if (config.run_limits().default_max_iterations() > 0) {
    engine_options.default_max_iterations =
        config.run_limits().default_max_iterations();
  }
  stack->engine_ = std::make_unique<RunEngine>(
      registry, stack->models_.get(), stack->tools_.get(), engine_options);
  stack->data_ = DataChannelRunData(data);
  stack->approval_records_ = DataChannelApprovalRecords(data);
  stack->approvals_ =
      std::make_unique<ApprovalManager>(stack->approval_records_.get());
  stack->delegations_ =
      local.delegations != nullptr
          ? std::move(local.delegations)
          : BatchEnds(AuthnDelegationClient(
                channels->Channel(config.authn_address())));
  stack->manager_ = std::make_unique<RunManager>(
      registry, stack->engine_.get(), stack->data_.get(),
      stack->delegations_.get(), options);
  return stack;
}

}  // namespace bastion::runs
