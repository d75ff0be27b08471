// CheckCallerMayGrant; see grant_check.h.
#include "services/authz/grant_check.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "services/authz/policy/decision.h"
#include "services/authz/policy/tool_decision.h"

namespace bastion::authz {
namespace {

// Whether the role is being granted (put) or is already held (changed or
// deleted): only the explanation differs.
enum class Use { kGrant, kChange };

absl::Status NotHeld(Use use, const Role& role, absl::string_view what,
                     absl::string_view text) {
  return absl::PermissionDeniedError(absl::StrCat(
      "role ", QuoteUntrusted(role.name), ": ", what, " ", QuoteUntrusted(text),
      use == Use::kGrant
          ? " is not held by the caller; a role may only grant what its "
            "author holds"
          : " is not held by the caller; changing or deleting a role needs "
            "every scope and tool it holds now"));
}

bool HoldsScope(absl::Span<const Scope* const> held, AdminLevel level,
                const Scope& scope) {
  std::optional<absl::string_view> id;
  switch (scope.kind) {
    case ScopeKind::kPlatformAdmin:
    case ScopeKind::kMalformed:
      return false;
    case ScopeKind::kTenantAdmin:
      return level != AdminLevel::kNone;
    case ScopeKind::kResourceIdAction:
      id = scope.id;
      break;
    case ScopeKind::kResourceAction:
    case ScopeKind::kResourceAnyIdAction:
      break;
  }
  absl::StatusOr<Permission> needed =
      MakePermission(ResourceName(scope.resource), scope.action, id);
  return needed.ok() && Decide(held, *needed).allowed;
}

bool HoldsAllTools(const RoleSet& roles, const common::v1::Principal& caller,
                   AdminLevel level) {
  if (level != AdminLevel::kNone) return true;
  return std::any_of(
      caller.roles().begin(), caller.roles().end(), [&](const std::string& r) {
        const Role* role = roles.Find(r);
        return role != nullptr &&
               std::find(role->allowed_tools.begin(), role->allowed_tools.end(),
                         kAllTools) != role->allowed_tools.end();
      });
}

absl::Status CheckCallerHolds(Use use, const RoleSet& roles,
                              const common::v1::Principal& caller,
                              const Role& role) {
  const EffectiveScopes effective(roles, caller);
  const absl::Span<const Scope* const> held = effective.all();
  const AdminLevel level = LevelOf(held);
  for (const std::string& text : role.scopes) {
    const Scope scope = roles.grammar().Parse(text);
    if (scope.malformed()) {
      if (use == Use::kChange) continue;  // grants nothing today
      return absl::InvalidArgumentError(
          absl::StrCat("role ", QuoteUntrusted(role.name), ": malformed scope ",
                       QuoteUntrusted(text)));
    }
    if (scope.kind == ScopeKind::kPlatformAdmin) {
      return absl::PermissionDeniedError(absl::StrCat(
          "role ", QuoteUntrusted(role.name), ": scope ", QuoteUntrusted(text),
          " cannot be granted by a custom role"));
    }
    if (!HoldsScope(held, level, scope)) {
      return NotHeld(use, role, "scope", text);
    }
  }
  for (const std::string& tool : role.allowed_tools) {
    const bool holds = tool == kAllTools
                           ? HoldsAllTools(roles, caller, level)
                           : DecideTool(roles, caller, tool).allowed;
    if (!holds) return NotHeld(use, role, "tool", tool);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckCallerMayGrant(const RoleSet& roles,
                                 const common::v1::Principal& caller,
                                 const Role& role) {
  return CheckCallerHolds(Use::kGrant, roles, caller, role);
}

absl::Status CheckCallerMayChange(const RoleSet& roles,
                                  const common::v1::Principal& caller,
                                  const Role& current) {
  return CheckCallerHolds(Use::kChange, roles, caller, current);
}

}  // namespace bastion::authz
