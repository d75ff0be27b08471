// Roles: the built-in owner / admin / member roles, a tenant's custom roles,
// per-role tool permissions and the tenant's tool policy, held together as one
// immutable, versioned snapshot (RoleSet).
//
// Built-in roles (fixed; a custom role may not take their names):
//   owner  - scopes: the tenant admin scope (AdminLevel kTenant: everything
//            within the tenant, every user). Tools: all ("*").
//   admin  - scopes: read, write, delete and run on every resource, except
//            audit, which is read only (the audit log is append-only and
//            written by the services, never through a grant). No admin scope:
//            an admin manages the tenant's configuration but sees other users'
//            data only through explicit grants (AdminLevel kNone). Never
//            platform admin. Tools: all ("*").
//   member - scopes: agents:read, agents:run, teams:read, teams:run,
//            workflows:read, workflows:run, sessions:read, sessions:write,
//            sessions:delete, memories:read, memories:write, memories:delete,
//            traces:read, approvals:read, schedules:read, schedules:write,
//            schedules:delete, schedules:run, api_keys:read, api_keys:write,
//            runs:read, runs:write. (A member manages and triggers its own
//            schedules; every schedule call reaches the caller's own only.)
//            (runs:read / runs:write are added to the brief's list: a member
//            who may start runs must be able to watch, cancel and continue its
//            own runs; ownership of the run is checked by run-executor.) No
//            approvals:write: a member is never an approver. Tools: none. A
//            tenant grants tools to members through a custom role (for
//            example roles ["member", "tool_user"]), so tool use is opt-in.
//
// Actions never imply each other (see decision.h), so each role lists every
// action it grants.
#ifndef BASTION_SERVICES_AUTHZ_POLICY_ROLES_H_
#define BASTION_SERVICES_AUTHZ_POLICY_ROLES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "bastion/common/v1/common.pb.h"
#include "services/authz/policy/scope.h"

namespace bastion::authz {

inline constexpr absl::string_view kOwnerRole = "owner";
inline constexpr absl::string_view kAdminRole = "admin";
inline constexpr absl::string_view kMemberRole = "member";

// Every tool; valid in Role::allowed_tools and in ToolPolicy lists.
inline constexpr absl::string_view kAllTools = "*";

// A role as configured. A value type.
struct Role {
  // 1..64 bytes of [a-z0-9_-] (as authz.v1.Role documents).
  std::string name;
  // Scope strings; each must parse (ScopeGrammar::ParseStrict). A custom role
  // may hold the tenant admin scope but never the platform admin scope.
  std::vector<std::string> scopes;
  // Tools this role's runs may invoke: tool names (1..128 bytes of
  // [A-Za-z0-9_.-]) or kAllTools.
  std::vector<std::string> allowed_tools;
  // Human-readable, at most kMaxRoleDescriptionBytes; not interpreted.
  std::string description = {};
};

inline constexpr std::size_t kMaxRoleDescriptionBytes = 1024;

// A role as held by a RoleSet.
struct RoleEntry {
  Role role;
  // owner, admin or member.
  bool built_in = false;
  // RoleSet version at which the role last changed: 0 for built-ins, the
  // version given to Create for roles passed to it, the new version for a
  // role put with WithRole.
  std::uint64_t version = 0;
};

// Tenant-level tool policy: which tool calls pause a run. Entries are tool
// names or kAllTools. The two flags are independent; run-executor pauses a
// call when either is set.
struct ToolPolicy {
  // The run's owner must confirm the call.
  std::vector<std::string> requires_confirmation;
  // An approver (holding approvals:write, not the requester) must approve.
  std::vector<std::string> requires_approval;
};

// True for 1..128 bytes of [A-Za-z0-9_.-]. kAllTools is not a tool name.
bool IsValidToolName(absl::string_view tool);

// True for 1..64 bytes of [a-z0-9_-].
bool IsValidRoleName(absl::string_view name);

// True for owner, admin and member.
bool IsBuiltinRoleName(absl::string_view name);

// OK if `role` may be a custom role under `grammar` (the rules of
// RoleSet::Create for one role); otherwise INVALID_ARGUMENT naming the role
// and the offending name / scope / tool / description. Builds no RoleSet.
absl::Status ValidateCustomRole(const ScopeGrammar& grammar, const Role& role);

// OK if every entry of both lists is a tool name or kAllTools; otherwise
// INVALID_ARGUMENT naming the list and the entry.
absl::Status ValidateToolPolicy(const ToolPolicy& policy);

// The three built-in roles, with the owner's scope taken from `grammar`'s
// tenant admin scope.
std::vector<Role> BuiltinRoles(const ScopeGrammar& grammar);

// One tenant's roles and tool policy: an immutable snapshot with a version
// number, so callers can cache decisions per version. Copies share the
// snapshot and are cheap. Thread-safe: every method is const and the
// snapshot never changes; "changing" a RoleSet (WithRole...) returns a new
// one with version + 1, to be swapped in by the owner of the pointer.
class RoleSet {
 public:
  // Built-in roles only, empty tool policy, default grammar, version 0.
  RoleSet();

  // Validates every custom role and the tool policy; INVALID_ARGUMENT naming
  // the role and the offending scope / tool / name (a built-in name, a
  // duplicate name, a malformed scope, the platform admin scope).
  static absl::StatusOr<RoleSet> Create(ScopeGrammar grammar,
                                        std::vector<Role> custom_roles,
                                        ToolPolicy tool_policy,
                                        std::uint64_t version);

  // Adds or replaces a custom role ("put"): validated like Create; the
  // result has version() + 1.
  absl::StatusOr<RoleSet> WithRole(Role role) const;
  // Removes a custom role: NOT_FOUND if there is none by that name,
  // INVALID_ARGUMENT for a built-in name. Version + 1.
  absl::StatusOr<RoleSet> WithoutRole(absl::string_view name) const;
  // Replaces the tool policy (validated). Version + 1.
  absl::StatusOr<RoleSet> WithToolPolicy(ToolPolicy tool_policy) const;

  std::uint64_t version() const;
  const ScopeGrammar& grammar() const;
  const ToolPolicy& tool_policy() const;
  // The custom roles, sorted by name.
  std::vector<Role> custom_roles() const;
  // How many there are, without copying them.
  std::size_t custom_role_count() const;
  // A built-in or custom role; nullptr if unknown. Valid while this RoleSet
  // (or a copy of it) lives.
  const Role* Find(absl::string_view name) const;
  // The same with its built-in flag and version; nullptr if unknown.
  const RoleEntry* FindEntry(absl::string_view name) const;
  // Every role: built-ins first (owner, admin, member), then custom roles by
  // name (the order of authz.v1.ListRolesResponse).
  std::vector<RoleEntry> ListRoles() const;

  // The scopes of a built-in or custom role, parsed when the snapshot was
  // built (a built-in role's are all well-formed); nullptr if unknown. Valid
  // while this RoleSet (or a copy of it) lives.
  const std::vector<Scope>* RoleScopes(absl::string_view name) const;

  // The union of the scopes of the named roles, copied, without duplicates,
  // in role order. Unknown role names expand to nothing. For listing and
  // tests; decisions use EffectiveScopes (below), which copies nothing.
  template <typename Container>
  std::vector<Scope> Expand(const Container& role_names) const {
    std::vector<Scope> scopes;
    for (const auto& name : role_names) AppendRoleScopes(name, &scopes);
    return scopes;
  }

  // True if the named role lets its runs invoke `tool` (kAllTools or the
  // exact name). False for unknown roles.
  bool RoleAllowsTool(absl::string_view role_name,
                      absl::string_view tool) const;

 private:
  struct Snapshot;
  explicit RoleSet(std::shared_ptr<const Snapshot> snapshot);

  void AppendRoleScopes(absl::string_view role_name,
                        std::vector<Scope>* scopes) const;

  std::shared_ptr<const Snapshot> snapshot_;
};

// A principal's effective scopes under a RoleSet, for one decision: the
// principal's own scopes (parsed with the RoleSet's grammar; malformed ones
// kept, granting nothing), then the scopes of each of its roles in order,
// borrowed from the snapshot that parsed them once (unknown role names add
// nothing). Not de-duplicated: Decide and LevelOf do not need it. Use it only
// while `role_set` (or a copy of it) lives. Neither copyable nor movable,
// since it points into itself; not shared between threads.
class EffectiveScopes {
 public:
  EffectiveScopes(const RoleSet& role_set,
                  const bastion::common::v1::Principal& principal);
  EffectiveScopes(const EffectiveScopes&) = delete;
  EffectiveScopes& operator=(const EffectiveScopes&) = delete;

  // For Decide and LevelOf (decision.h).
  absl::Span<const Scope* const> all() const { return all_; }

 private:
  // The principal's own scopes; all_ points into it.
  std::vector<Scope> own_;
  std::vector<const Scope*> all_;
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_ROLES_H_
