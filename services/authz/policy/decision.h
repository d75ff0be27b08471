// The access decision: a pure function from granted scopes and one needed
// permission to allow / deny with a reason. No I/O, no clock, no globals.
//
// Matching rules (everything not listed is denied):
//   needed: resource R, action A, id I   needed: resource R, action A, no id
//   granted by "R:I:A"                   -
//   granted by "R:*:A"                   granted by "R:*:A"
//   granted by "R:A"                     granted by "R:A"
//   granted by the tenant admin scope    granted by the tenant admin scope
//   granted by the platform admin scope  granted by the platform admin scope
// A permission is always about the principal's own tenant: authz is never
// told a target tenant. Reach across tenants is the admin level's business
// (LevelOf, enforced by the data service's row security), not Decide's.
//
// Actions are exact strings with no implication between them: "write" does
// NOT imply "read", "delete" does NOT imply "write", "run" implies nothing.
// Malformed scopes grant nothing and are otherwise ignored.
#ifndef BASTION_SERVICES_AUTHZ_POLICY_DECISION_H_
#define BASTION_SERVICES_AUTHZ_POLICY_DECISION_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/auth/admin_level.h"
#include "services/authz/policy/scope.h"

namespace bastion::authz {

// What a call needs. Build it with MakePermission when the parts come from
// outside (a request or a proto annotation); Decide re-checks them anyway.
struct Permission {
  Resource resource = Resource::kAgents;
  // Exact action, e.g. "read", "write", "delete", "run".
  std::string action;
  // The one resource the call is about; nullopt for id-less calls (list,
  // create).
  std::optional<std::string> id;
};

// Validates the parts: INVALID_ARGUMENT for an unknown resource, an invalid
// action (IsValidAction) or an id outside the suite's id grammar
// (common/ids/resource_id.h; "*" is not an id).
absl::StatusOr<Permission> MakePermission(
    absl::string_view resource, absl::string_view action,
    std::optional<absl::string_view> id = std::nullopt);

// "sessions:s-1:read" / "sessions:read" (id and action C-escaped for logs).
std::string PermissionString(const Permission& permission);

// Why a decision came out the way it did.
enum class DecisionCode {
  // Allowed by "resource:<id>:action".
  kGrantedById,
  // Allowed by "resource:*:action".
  kGrantedByAnyId,
  // Allowed by "resource:action".
  kGrantedByResource,
  // Allowed by the tenant admin scope.
  kGrantedByTenantAdmin,
  // Allowed by the platform admin scope.
  kGrantedByPlatformAdmin,
  // Denied: no granted scope covers the permission.
  kNoMatchingScope,
  // Denied: the permission itself is invalid (bad action or id), so nothing
  // can grant it.
  kInvalidPermission,
};

absl::string_view DecisionCodeName(DecisionCode code);

struct Decision {
  bool allowed = false;
  DecisionCode code = DecisionCode::kNoMatchingScope;
  // Human-readable, names the granting scope or the missing permission; safe
  // to log (untrusted parts are escaped).
  std::string reason;
};

bool operator==(const Decision& a, const Decision& b);
std::ostream& operator<<(std::ostream& os, const Decision& decision);

// When several scopes grant the permission, the most specific one is
// reported, in the order of DecisionCode (id, any id, resource, tenant admin,
// platform admin), so an admin who also holds an ordinary grant is not
// recorded as using admin power; among equally specific ones, the first.
// Duplicates are harmless.
Decision Decide(const std::vector<Scope>& granted, const Permission& needed);
// The same over borrowed scopes (EffectiveScopes in roles.h), without copying
// them. No pointer may be null.
Decision Decide(absl::Span<const Scope* const> granted,
                const Permission& needed);

// How far a principal's admin power reaches (common/auth/admin_level.h).
using ::bastion::AdminLevel;
using ::bastion::AdminLevelName;

// kPlatform if any scope is the platform admin scope, else kTenant if any is
// the tenant admin scope, else kNone. Malformed scopes count for nothing.
AdminLevel LevelOf(const std::vector<Scope>& scopes);
AdminLevel LevelOf(absl::Span<const Scope* const> scopes);

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_DECISION_H_
