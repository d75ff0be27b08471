// The access decision; see decision.h.
#include "services/authz/policy/decision.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ids/resource_id.h"

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
                                          std::optional<absl::string_view> id) {
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
    if (!::bastion::IsValidResourceId(*id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid resource id ", QuoteUntrusted(*id)));
    }
    permission.id = std::string(*id);
  }
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

namespace {

// Decide and LevelOf over scopes held by value or borrowed: `get` maps an
// element of `scopes` to a const Scope&.
template <typename Scopes, typename Get>
Decision DecideOver(const Scopes& granted, Get get, const Permission& needed) {
  // A hand-built permission is re-checked: an invalid one is denied rather
  // than risk an odd string matching an odd scope.
  if (!IsValidAction(needed.action)) {
    return Deny(DecisionCode::kInvalidPermission,
                absl::StrCat("invalid action ", QuoteUntrusted(needed.action)));
  }
  if (needed.id.has_value() && !::bastion::IsValidResourceId(*needed.id)) {
    return Deny(DecisionCode::kInvalidPermission,
                absl::StrCat("invalid resource id ",
                             QuoteUntrusted(*needed.id)));
  }

  const Scope* best_scope = nullptr;
  DecisionCode best = DecisionCode::kNoMatchingScope;
  for (const auto& element : granted) {
    const Scope& scope = get(element);
    std::optional<DecisionCode> grant = GrantOf(scope, needed);
    if (!grant.has_value()) continue;
    if (best_scope == nullptr || *grant < best) {
      best = *grant;
      best_scope = &scope;
    }
  }
  if (best_scope != nullptr) return Allow(best, *best_scope);
  return Deny(DecisionCode::kNoMatchingScope,
              absl::StrCat("no scope grants ", PermissionString(needed)));
}

template <typename Scopes, typename Get>
AdminLevel LevelOver(const Scopes& scopes, Get get) {
  AdminLevel level = AdminLevel::kNone;
  for (const auto& element : scopes) {
    const Scope& scope = get(element);
    if (scope.kind == ScopeKind::kPlatformAdmin) return AdminLevel::kPlatform;
    if (scope.kind == ScopeKind::kTenantAdmin) level = AdminLevel::kTenant;
  }
  return level;
}

const Scope& ByValue(const Scope& scope) { return scope; }
const Scope& ByPointer(const Scope* scope) { return *scope; }

}  // namespace

Decision Decide(const std::vector<Scope>& granted, const Permission& needed) {
  return DecideOver(granted, ByValue, needed);
}

Decision Decide(absl::Span<const Scope* const> granted,
                const Permission& needed) {
  return DecideOver(granted, ByPointer, needed);
}

AdminLevel LevelOf(const std::vector<Scope>& scopes) {
  return LevelOver(scopes, ByValue);
}

AdminLevel LevelOf(absl::Span<const Scope* const> scopes) {
  return LevelOver(scopes, ByPointer);
}

}  // namespace bastion::authz
