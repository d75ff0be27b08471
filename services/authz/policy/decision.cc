// The access decision; see decision.h.
#include "services/authz/policy/decision.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace bastion::authz {
namespace {

Decision Allow(DecisionCode code, const Scope& scope) {
  absl::string_view what = "scope";
  if (code == DecisionCode::kGrantedByTenantAdmin) what = "tenant admin scope";
  if (code == DecisionCode::kGrantedByPlatformAdmin) {
    what = "platform admin scope";
  }
  return Decision{/*allowed=*/true, code,
                  absl::StrCat("granted by ", what, " ",
                               QuoteUntrusted(scope.text))};
}

Decision Deny(DecisionCode code, std::string reason) {
  return Decision{/*allowed=*/false, code, std::move(reason)};
}

// How specific a granting scope is; lower is more specific. Mirrors the
// order of DecisionCode.
std::optional<DecisionCode> GrantOf(const Scope& scope,
                                    const Permission& needed) {
  switch (scope.kind) {
    case ScopeKind::kMalformed:
      return std::nullopt;
    case ScopeKind::kTenantAdmin:
      return DecisionCode::kGrantedByTenantAdmin;
    case ScopeKind::kPlatformAdmin:
      return DecisionCode::kGrantedByPlatformAdmin;
    case ScopeKind::kResourceAction:
    case ScopeKind::kResourceAnyIdAction:
    case ScopeKind::kResourceIdAction:
      break;
  }
  if (scope.resource != needed.resource || scope.action != needed.action) {
    return std::nullopt;
  }
  switch (scope.kind) {
    case ScopeKind::kResourceAction:
      return DecisionCode::kGrantedByResource;
    case ScopeKind::kResourceAnyIdAction:
      return DecisionCode::kGrantedByAnyId;
    case ScopeKind::kResourceIdAction:
      // Only for that exact id; never for an id-less permission.
      if (needed.id.has_value() && *needed.id == scope.id) {
        return DecisionCode::kGrantedById;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace

absl::StatusOr<Permission> MakePermission(absl::string_view resource,
                                          absl::string_view action,
                                          std::optional<absl::string_view> id,
                                          bool cross_tenant) {
  const std::optional<Resource> parsed = ParseResource(resource);
  if (!parsed.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown resource ", QuoteUntrusted(resource)));
  }
  if (!IsValidAction(action)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid action ", QuoteUntrusted(action)));
  }
  Permission permission;
  permission.resource = *parsed;
  permission.action = std::string(action);
  if (id.has_value()) {
    if (!IsValidResourceId(*id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource id ", QuoteUntrusted(*id)));
    }
    permission.id = std::string(*id);
  }
  permission.cross_tenant = cross_tenant;
  return permission;
}

std::string PermissionString(const Permission& permission) {
  std::string out(ResourceName(permission.resource));
  if (permission.id.has_value()) {
    absl::StrAppend(&out, ":", absl::CEscape(*permission.id));
  }
  absl::StrAppend(&out, ":", absl::CEscape(permission.action));
  return out;
}

absl::string_view DecisionCodeName(DecisionCode code) {
  switch (code) {
    case DecisionCode::kGrantedById:
      return "granted_by_id";
    case DecisionCode::kGrantedByAnyId:
      return "granted_by_any_id";
    case DecisionCode::kGrantedByResource:
      return "granted_by_resource";
    case DecisionCode::kGrantedByTenantAdmin:
      return "granted_by_tenant_admin";
    case DecisionCode::kGrantedByPlatformAdmin:
      return "granted_by_platform_admin";
    case DecisionCode::kNoMatchingScope:
      return "no_matching_scope";
    case DecisionCode::kCrossTenant:
      return "cross_tenant";
    case DecisionCode::kInvalidPermission:
      return "invalid_permission";
  }
  return "";
}

bool operator==(const Decision& a, const Decision& b) {
  return a.allowed == b.allowed && a.code == b.code && a.reason == b.reason;
}

std::ostream& operator<<(std::ostream& os, const Decision& decision) {
  return os << (decision.allowed ? "ALLOW " : "DENY ")
            << DecisionCodeName(decision.code) << " (" << decision.reason
            << ")";
}

Decision Decide(const std::vector<Scope>& granted, const Permission& needed) {
  // A hand-built permission is re-checked: an invalid one is denied rather
  // than risk an odd string matching an odd scope.
  if (!IsValidAction(needed.action)) {
    return Deny(DecisionCode::kInvalidPermission,
                absl::StrCat("invalid action ", QuoteUntrusted(needed.action)));
  }
  if (needed.id.has_value() && !IsValidResourceId(*needed.id)) {
    return Deny(DecisionCode::kInvalidPermission,
                absl::StrCat("invalid resource id ",
                             QuoteUntrusted(*needed.id)));
  }

  const Scope* best_scope = nullptr;
  DecisionCode best = DecisionCode::kNoMatchingScope;
  for (const Scope& scope : granted) {
    std::optional<DecisionCode> grant = GrantOf(scope, needed);
    if (!grant.has_value()) continue;
    if (needed.cross_tenant && *grant != DecisionCode::kGrantedByPlatformAdmin) {
      continue;
    }
    if (best_scope == nullptr || *grant < best) {
      best = *grant;
      best_scope = &scope;
    }
  }
  if (best_scope != nullptr) return Allow(best, *best_scope);
  if (needed.cross_tenant) {
    return Deny(DecisionCode::kCrossTenant,
                absl::StrCat("only the platform admin scope grants ",
                             PermissionString(needed), " in another tenant"));
  }
  return Deny(DecisionCode::kNoMatchingScope,
              absl::StrCat("no scope grants ", PermissionString(needed)));
}

AdminLevel LevelOf(const std::vector<Scope>& scopes) {
  AdminLevel level = AdminLevel::kNone;
  for (const Scope& scope : scopes) {
    if (scope.kind == ScopeKind::kPlatformAdmin) return AdminLevel::kPlatform;
    if (scope.kind == ScopeKind::kTenantAdmin) level = AdminLevel::kTenant;
  }
  return level;
}

}  // namespace bastion::authz
