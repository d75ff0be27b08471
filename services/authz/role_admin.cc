// RoleAdmin; see role_admin.h.
#include "services/authz/role_admin.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/authz/grant_check.h"

namespace bastion::authz {
namespace {

absl::Status CheckListSize(absl::string_view what, std::size_t size) {
  if (size > kMaxEntriesPerList) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": more than ", kMaxEntriesPerList, " entries"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RoleAdmin::RequireStore(
    const common::v1::Principal& caller) const {
  if (store_ == nullptr) {
    return absl::FailedPreconditionError(
        "custom roles and tool policies need authz's database; this authz "
        "runs without database_url and serves the built-in roles only");
  }
  if (caller.tenant_id().empty()) {
    return absl::FailedPreconditionError(
        "the caller has no tenant to store roles for");
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredRole> RoleAdmin::PutRole(
    const common::v1::Principal& caller, Role role) {
  RETURN_IF_ERROR(RequireStore(caller));
  const std::string what = absl::StrCat("role ", QuoteUntrusted(role.name));
  RETURN_IF_ERROR(
      CheckListSize(absl::StrCat(what, " scopes"), role.scopes.size()));
  RETURN_IF_ERROR(CheckListSize(absl::StrCat(what, " allowed_tools"),
                                role.allowed_tools.size()));
  ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                   StoredPolicyOf(caller));
  // Names, scopes (naming the malformed one), tools, the platform admin
  // scope and built-in names are all RoleSet's rules.
  RETURN_IF_ERROR(ValidateCustomRole(policy->roles.grammar(), role));
  RETURN_IF_ERROR(CheckCallerMayGrant(policy->roles, caller, role));
  const Role* current = policy->roles.Find(role.name);
  if (current != nullptr) {
    RETURN_IF_ERROR(CheckCallerMayChange(policy->roles, caller, *current));
  }
  if (current == nullptr &&
      policy->roles.custom_role_count() >= kMaxCustomRolesPerTenant) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "a tenant has at most ", kMaxCustomRolesPerTenant, " custom roles"));
  }
  ASSIGN_OR_RETURN(int64_t version, store_->PutRole(caller, role));
  Audit(caller, "role.put", role.name, version);
  engine_->Forget(caller.tenant_id());
  return StoredRole{std::move(role), version};
}

absl::StatusOr<int64_t> RoleAdmin::DeleteRole(
    const common::v1::Principal& caller, absl::string_view name) {
  RETURN_IF_ERROR(RequireStore(caller));
  if (IsBuiltinRoleName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "built-in role ", QuoteUntrusted(name), " cannot be deleted"));
  }
  if (!IsValidRoleName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid role name ", QuoteUntrusted(name)));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                   StoredPolicyOf(caller));
  // An unknown name is the store's NOT_FOUND.
  if (const Role* current = policy->roles.Find(name); current != nullptr) {
    RETURN_IF_ERROR(CheckCallerMayChange(policy->roles, caller, *current));
  }
  ASSIGN_OR_RETURN(int64_t version, store_->DeleteRole(caller, name));
  Audit(caller, "role.delete", name, version);
  engine_->Forget(caller.tenant_id());
  return version;
}

absl::StatusOr<int64_t> RoleAdmin::PutToolPolicy(
    const common::v1::Principal& caller, ToolPolicy policy) {
  RETURN_IF_ERROR(RequireStore(caller));
  RETURN_IF_ERROR(CheckListSize("requires_confirmation",
                                policy.requires_confirmation.size()));
  RETURN_IF_ERROR(
      CheckListSize("requires_approval", policy.requires_approval.size()));
  ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> current,
                   engine_->PolicyFor(caller));
  // The tool policy decides which calls pause for a human; lifting that is
  // the tenant admin's decision, not any holder of roles:write.
  if (LevelOf(EffectiveScopes(current->roles, caller).all()) ==
      AdminLevel::kNone) {
    return absl::PermissionDeniedError(
        "changing the tool policy needs the tenant admin");
  }
  RETURN_IF_ERROR(ValidateToolPolicy(policy));
  ASSIGN_OR_RETURN(int64_t version, store_->PutToolPolicy(caller, policy));
  Audit(caller, "tool_policy.put", "", version);
  engine_->Forget(caller.tenant_id());
  return version;
}

absl::StatusOr<std::shared_ptr<const TenantPolicy>> RoleAdmin::StoredPolicyOf(
    const common::v1::Principal& caller) {
  // Not a snapshot up to a second old: a role another replica changed just
  // now must be judged as it is stored.
  engine_->Forget(caller.tenant_id());
  return engine_->PolicyFor(caller);
}

void RoleAdmin::Audit(const common::v1::Principal& caller,
                      absl::string_view action, absl::string_view id,
                      int64_t version) const {
  if (audit_ == nullptr) return;
  AuditRecord record;
  record.tenant_id = caller.tenant_id();
  record.user_id = caller.subject();
  record.action = std::string(action);
  record.resource = "roles";
  record.resource_id = std::string(id);
  record.reason = absl::StrCat("policy version ", version);
  audit_->Record(std::move(record));
}

}  // namespace bastion::authz
