// PolicyEngine; see policy_engine.h.
#include "services/authz/policy_engine.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion::authz {

int64_t TenantPolicy::RoleVersion(const RoleEntry& entry) const {
  if (entry.built_in) return 0;
  auto it = role_versions.find(entry.role.name);
  return it != role_versions.end() ? it->second
                                   : static_cast<int64_t>(entry.version);
}

PolicyEngine::PolicyEngine(RoleSet base, RoleStore* store,
                           const Clock* clock,
                           absl::Duration recheck_interval)
    : base_(std::make_shared<const TenantPolicy>(
          TenantPolicy{std::move(base), {}})),
      store_(store),
      clock_(clock),
      recheck_interval_(recheck_interval) {}

std::shared_ptr<PolicyEngine::Entry> PolicyEngine::EntryFor(
    const std::string& tenant_id) {
  absl::MutexLock lock(&mutex_);
  auto it = entries_.find(tenant_id);
  if (it != entries_.end()) return it->second;
  // Simple and bounded: a full cache starts over (entries in use stay alive
  // through their shared_ptr).
  if (entries_.size() >= kMaxCachedTenants) entries_.clear();
  auto entry = std::make_shared<Entry>();
  entries_.emplace(tenant_id, entry);
  return entry;
}

void PolicyEngine::Forget(const std::string& tenant_id) {
  absl::MutexLock lock(&mutex_);
  entries_.erase(tenant_id);
}

absl::StatusOr<std::shared_ptr<const TenantPolicy>> PolicyEngine::Build(
    const std::string& tenant_id, StoredPolicy stored) const {
  const ScopeGrammar& grammar = base_->roles.grammar();
  const auto version = static_cast<std::uint64_t>(stored.version);
  std::vector<Role> roles;
  roles.reserve(stored.roles.size());
  auto policy = std::make_shared<TenantPolicy>();
  for (StoredRole& entry : stored.roles) {
    // A stored role that no longer validates (the admin scopes were
    // reconfigured, say) grants nothing; the others still work.
    const absl::Status valid = ValidateCustomRole(grammar, entry.role);
    if (!valid.ok()) {
      Log(LogLevel::kError, "stored_role_invalid",
          {{"tenant", tenant_id}, {"error", valid.message()}});
      continue;
    }
    policy->role_versions[entry.role.name] = entry.version;
    roles.push_back(std::move(entry.role));
  }
  absl::StatusOr<RoleSet> role_set = RoleSet::Create(
      grammar, std::move(roles), std::move(stored.tool_policy), version);
  if (!role_set.ok()) {
    // An invalid tool policy cannot be half-applied without weakening it:
    // fail closed for the tenant.
    Log(LogLevel::kError, "stored_policy_invalid",
        {{"tenant", tenant_id}, {"error", role_set.status().message()}});
    return absl::InternalError("the tenant's stored policy is invalid");
  }
  policy->roles = *std::move(role_set);
  return std::shared_ptr<const TenantPolicy>(std::move(policy));
}

absl::StatusOr<std::shared_ptr<const TenantPolicy>> PolicyEngine::PolicyFor(
    const common::v1::Principal& principal) {
  // No tenant: nothing can have been stored for it.
  if (store_ == nullptr || principal.tenant_id().empty()) return base_;
  std::shared_ptr<Entry> entry = EntryFor(principal.tenant_id());
  {
    absl::ReaderMutexLock lock(&entry->mutex);
    if (entry->policy != nullptr &&
        clock_->Now() - entry->confirmed_at < recheck_interval_) {
      return entry->policy;
    }
  }
  // One refresh per tenant at a time; the others wait for its answer.
  absl::MutexLock lock(&entry->mutex);
  const absl::Time started = clock_->Now();
  if (entry->policy != nullptr &&
      started - entry->confirmed_at < recheck_interval_) {
    return entry->policy;
  }
  if (entry->policy != nullptr) {
    ASSIGN_OR_RETURN(int64_t version, store_->Version(principal));
    if (version == entry->policy->version()) {
      entry->confirmed_at = started;
      return entry->policy;
    }
  }
  ASSIGN_OR_RETURN(StoredPolicy stored, store_->Load(principal));
  ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                   Build(principal.tenant_id(), std::move(stored)));
  entry->policy = policy;
  entry->confirmed_at = started;
  return policy;
}

absl::StatusOr<AuthzDecision> PolicyEngine::Decide(
    const common::v1::Principal& principal, absl::string_view resource,
    absl::string_view action, absl::string_view resource_id) {
  std::optional<absl::string_view> id;
  if (!resource_id.empty()) id = resource_id;
  ASSIGN_OR_RETURN(Permission needed, MakePermission(resource, action, id));
  ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                   PolicyFor(principal));
  // Borrowed from the snapshot, which `policy` keeps alive meanwhile.
  const EffectiveScopes scopes(policy->roles, principal);
  const Decision decision = authz::Decide(scopes.all(), needed);
  // An approver holds approvals:write for every approval (or is an admin).
  static const Permission kResolveAnyApproval{Resource::kApprovals, "write",
                                              std::nullopt};
  const bool any_id =
      decision.allowed &&
      (!id.has_value() ||
       authz::Decide(scopes.all(), Permission{needed.resource, needed.action,
                                              std::nullopt})
           .allowed);
  return AuthzDecision{decision.allowed, decision.reason, policy->version(),
                       LevelOf(scopes.all()),
                       authz::Decide(scopes.all(), kResolveAnyApproval).allowed,
                       any_id};
}

absl::StatusOr<ToolOutcome> PolicyEngine::DecideTool(
    const common::v1::Principal& principal, absl::string_view tool) {
  ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                   PolicyFor(principal));
  return ToolOutcome{authz::DecideTool(policy->roles, principal, tool),
                     policy->version()};
}

absl::StatusOr<AuthzDecision> PolicyEngine::Check(
    const Caller& caller, const PermissionRequest& request) {
  absl::StatusOr<AuthzDecision> decision = Decide(
      caller.principal, request.resource, request.action, request.resource_id);
  if (decision.status().code() == absl::StatusCode::kInvalidArgument) {
    // A malformed id from a hostile request: nothing can grant it.
    return AuthzDecision{false, std::string(decision.status().message()), 0};
  }
  return decision;
}

}  // namespace bastion::authz
