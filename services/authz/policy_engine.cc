#include "services/authz/policy_engine.h"

#include <optional>
#include <utility>

#include "common/status/status_macros.h"

namespace bastion::authz {

PolicyEngine::PolicyEngine(RoleSet roles) : roles_(std::move(roles)) {}

RoleSet PolicyEngine::Snapshot() const {
  absl::MutexLock lock(&mutex_);
  return roles_;
}

void PolicyEngine::Replace(RoleSet roles) {
  absl::MutexLock lock(&mutex_);
  roles_ = std::move(roles);
}

absl::StatusOr<CheckOutcome> PolicyEngine::Decide(
    const common::v1::Principal& principal, absl::string_view resource,
    absl::string_view action, absl::string_view resource_id) const {
  std::optional<absl::string_view> id;
  if (!resource_id.empty()) id = resource_id;
  ASSIGN_OR_RETURN(Permission needed, MakePermission(resource, action, id));
  const RoleSet roles = Snapshot();
  const std::vector<Scope> scopes = roles.EffectiveScopes(principal);
  const Decision decision = authz::Decide(scopes, needed);
  CheckOutcome outcome;
  outcome.decision.allowed = decision.allowed;
  outcome.decision.reason = decision.reason;
  outcome.decision.policy_version = static_cast<int64_t>(roles.version());
  outcome.admin_level = LevelOf(scopes);
  return outcome;
}

ToolDecision PolicyEngine::DecideTool(const common::v1::Principal& principal,
                                      absl::string_view tool) const {
  return authz::DecideTool(Snapshot(), principal, tool);
}

absl::StatusOr<AuthzDecision> PolicyEngine::Check(
    const Caller& caller, const PermissionRequest& request) {
  absl::StatusOr<CheckOutcome> outcome = Decide(
      caller.principal, request.resource, request.action, request.resource_id);
  if (outcome.status().code() == absl::StatusCode::kInvalidArgument) {
    // A malformed id from a hostile request: nothing can grant it.
    return AuthzDecision{false, std::string(outcome.status().message()), 0};
  }
  if (!outcome.ok()) return outcome.status();
  return outcome->decision;
}

}  // namespace bastion::authz
