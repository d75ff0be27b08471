// Roles and the RoleSet snapshot; see roles.h.
#include "services/authz/policy/roles.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace bastion::authz {

namespace {

constexpr std::size_t kMaxRoleNameBytes = 64;
constexpr std::size_t kMaxToolNameBytes = 128;

// The member role's scopes; see roles.h for why runs:* is included.
constexpr absl::string_view kMemberScopes[] = {
    "agents:read",     "agents:run",      "teams:read",
    "teams:run",       "workflows:read",  "workflows:run",
    "sessions:read",   "sessions:write",  "sessions:delete",
    "memories:read",   "memories:write",  "memories:delete",
    "traces:read",     "approvals:read",  "schedules:read",
    "schedules:write", "schedules:delete", "schedules:run",
    "api_keys:read",   "api_keys:write",  "runs:read",
    "runs:write",
};

constexpr absl::string_view kAdminActions[] = {"read", "write", "delete",
                                               "run"};

std::vector<std::string> AdminRoleScopes() {
  std::vector<std::string> scopes;
  for (Resource resource : kAllResources) {
    for (absl::string_view action : kAdminActions) {
      if (resource == Resource::kAudit && action != "read") continue;
      scopes.push_back(absl::StrCat(ResourceName(resource), ":", action));
    }
  }
  return scopes;
}

absl::Status ValidateToolList(absl::string_view what,
                              const std::vector<std::string>& tools) {
  for (const std::string& tool : tools) {
    if (tool != kAllTools && !IsValidToolName(tool)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": invalid tool name ", QuoteUntrusted(tool)));
    }
  }
  return absl::OkStatus();
}

bool ListHasTool(const std::vector<std::string>& tools,
                 absl::string_view tool) {
  return std::any_of(tools.begin(), tools.end(), [&](const std::string& t) {
    return t == kAllTools || t == tool;
  });
}

}  // namespace

namespace roles_internal {

// A role with its scopes parsed once, when the snapshot is built.
struct ParsedRole {
  RoleEntry entry;
  std::vector<Scope> scopes;
};

}  // namespace roles_internal

using roles_internal::ParsedRole;

struct RoleSet::Snapshot {
  ScopeGrammar grammar;
  ToolPolicy tool_policy;
  std::uint64_t version = 0;
  std::map<std::string, ParsedRole, std::less<>> roles;
};

bool IsValidToolName(absl::string_view tool) {
  if (tool.empty() || tool.size() > kMaxToolNameBytes) return false;
  for (char c : tool) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidRoleName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxRoleNameBytes) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsBuiltinRoleName(absl::string_view name) {
  return name == kOwnerRole || name == kAdminRole || name == kMemberRole;
}

std::vector<Role> BuiltinRoles(const ScopeGrammar& grammar) {
  std::vector<Role> roles;
  roles.push_back(Role{std::string(kOwnerRole),
                       {grammar.config().tenant_admin},
                       {std::string(kAllTools)}});
  roles.push_back(Role{std::string(kAdminRole), AdminRoleScopes(),
                       {std::string(kAllTools)}});
  Role member{std::string(kMemberRole), {}, {}};
  for (absl::string_view scope : kMemberScopes) {
    member.scopes.emplace_back(scope);
  }
  roles.push_back(std::move(member));
  return roles;
}

namespace {

// Validates one custom role; with `scopes`, also appends its parsed scopes.
absl::Status CheckCustomRole(const ScopeGrammar& grammar, const Role& role,
                             std::vector<Scope>* scopes) {
  if (!IsValidRoleName(role.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid role name ", QuoteUntrusted(role.name)));
  }
  if (IsBuiltinRoleName(role.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("role name ", QuoteUntrusted(role.name),
                     " is reserved for a built-in role"));
  }
  const std::string what = absl::StrCat("role ", QuoteUntrusted(role.name));
  for (const std::string& text : role.scopes) {
    absl::StatusOr<Scope> scope = grammar.ParseStrict(text);
    if (!scope.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", scope.status().message()));
    }
    if (scope->kind == ScopeKind::kPlatformAdmin) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": scope ", QuoteUntrusted(text),
                       " cannot be granted by a custom role"));
    }
    if (scopes != nullptr) scopes->push_back(*std::move(scope));
  }
  RETURN_IF_ERROR(ValidateToolList(what, role.allowed_tools));
  if (role.description.size() > kMaxRoleDescriptionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": description longer than ",
                     kMaxRoleDescriptionBytes, " bytes"));
  }
  return absl::OkStatus();
}

// Parses and validates one custom role, stamped with `version`.
absl::StatusOr<ParsedRole> ParseCustomRole(const ScopeGrammar& grammar,
                                           Role role, std::uint64_t version) {
  ParsedRole parsed;
  parsed.scopes.reserve(role.scopes.size());
  RETURN_IF_ERROR(CheckCustomRole(grammar, role, &parsed.scopes));
  parsed.entry.role = std::move(role);
  parsed.entry.built_in = false;
  parsed.entry.version = version;
  return parsed;
}

}  // namespace

absl::Status ValidateCustomRole(const ScopeGrammar& grammar, const Role& role) {
  return CheckCustomRole(grammar, role, /*scopes=*/nullptr);
}

absl::Status ValidateToolPolicy(const ToolPolicy& policy) {
  RETURN_IF_ERROR(
      ValidateToolList("requires_confirmation", policy.requires_confirmation));
  return ValidateToolList("requires_approval", policy.requires_approval);
}

RoleSet::RoleSet(std::shared_ptr<const Snapshot> snapshot)
    : snapshot_(std::move(snapshot)) {}

RoleSet::RoleSet() {
  absl::StatusOr<RoleSet> empty =
      Create(ScopeGrammar(), {}, ToolPolicy{}, /*version=*/0);
  // Built-in roles always validate; the test suite proves it.
  snapshot_ = empty->snapshot_;
}

absl::StatusOr<RoleSet> RoleSet::Create(ScopeGrammar grammar,
                                        std::vector<Role> custom_roles,
                                        ToolPolicy tool_policy,
                                        std::uint64_t version) {
  absl::Status status = ValidateToolPolicy(tool_policy);
  if (!status.ok()) return status;

  auto snapshot = std::make_shared<Snapshot>();
  for (Role& role : BuiltinRoles(grammar)) {
    ParsedRole parsed;
    parsed.scopes = grammar.ParseAll(role.scopes);
    parsed.entry.built_in = true;
    parsed.entry.version = 0;
    std::string name = role.name;
    parsed.entry.role = std::move(role);
    snapshot->roles.emplace(std::move(name), std::move(parsed));
  }
  for (Role& role : custom_roles) {
    std::string name = role.name;
    absl::StatusOr<ParsedRole> parsed =
        ParseCustomRole(grammar, std::move(role), version);
    if (!parsed.ok()) return parsed.status();
    if (!snapshot->roles.emplace(name, *std::move(parsed)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate role name ", QuoteUntrusted(name)));
    }
  }
  snapshot->grammar = std::move(grammar);
  snapshot->tool_policy = std::move(tool_policy);
  snapshot->version = version;
  return RoleSet(std::move(snapshot));
}

namespace {

absl::Status CheckCanBump(std::uint64_t version) {
  if (version == std::numeric_limits<std::uint64_t>::max()) {
    return absl::FailedPreconditionError("role set version exhausted");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RoleSet> RoleSet::WithRole(Role role) const {
  RETURN_IF_ERROR(CheckCanBump(version()));
  absl::StatusOr<ParsedRole> parsed =
      ParseCustomRole(grammar(), std::move(role), version() + 1);
  if (!parsed.ok()) return parsed.status();
  auto snapshot = std::make_shared<Snapshot>(*snapshot_);
  std::string name = parsed->entry.role.name;
  snapshot->roles.insert_or_assign(std::move(name), *std::move(parsed));
  snapshot->version += 1;
  return RoleSet(std::move(snapshot));
}

absl::StatusOr<RoleSet> RoleSet::WithoutRole(absl::string_view name) const {
  RETURN_IF_ERROR(CheckCanBump(version()));
  if (IsBuiltinRoleName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "built-in role ", QuoteUntrusted(name), " cannot be removed"));
  }
  auto snapshot = std::make_shared<Snapshot>(*snapshot_);
  auto it = snapshot->roles.find(name);
  if (it == snapshot->roles.end()) {
    return absl::NotFoundError(
        absl::StrCat("no custom role ", QuoteUntrusted(name)));
  }
  snapshot->roles.erase(it);
  snapshot->version += 1;
  return RoleSet(std::move(snapshot));
}

absl::StatusOr<RoleSet> RoleSet::WithToolPolicy(ToolPolicy tool_policy) const {
  RETURN_IF_ERROR(CheckCanBump(version()));
  RETURN_IF_ERROR(ValidateToolPolicy(tool_policy));
  auto snapshot = std::make_shared<Snapshot>(*snapshot_);
  snapshot->tool_policy = std::move(tool_policy);
  snapshot->version += 1;
  return RoleSet(std::move(snapshot));
}

std::uint64_t RoleSet::version() const { return snapshot_->version; }

const ScopeGrammar& RoleSet::grammar() const { return snapshot_->grammar; }

const ToolPolicy& RoleSet::tool_policy() const {
  return snapshot_->tool_policy;
}

std::vector<Role> RoleSet::custom_roles() const {
  std::vector<Role> roles;
  roles.reserve(custom_role_count());
  for (const auto& [name, parsed] : snapshot_->roles) {
    if (!parsed.entry.built_in) roles.push_back(parsed.entry.role);
  }
  return roles;
}

std::size_t RoleSet::custom_role_count() const {
  return static_cast<std::size_t>(std::count_if(
      snapshot_->roles.begin(), snapshot_->roles.end(),
      [](const auto& role) { return !role.second.entry.built_in; }));
}

const Role* RoleSet::Find(absl::string_view name) const {
  const RoleEntry* entry = FindEntry(name);
  return entry == nullptr ? nullptr : &entry->role;
}

const RoleEntry* RoleSet::FindEntry(absl::string_view name) const {
  auto it = snapshot_->roles.find(name);
  return it == snapshot_->roles.end() ? nullptr : &it->second.entry;
}

std::vector<RoleEntry> RoleSet::ListRoles() const {
  std::vector<RoleEntry> roles;
  for (absl::string_view name : {kOwnerRole, kAdminRole, kMemberRole}) {
    roles.push_back(*FindEntry(name));
  }
  for (const auto& [name, parsed] : snapshot_->roles) {
    if (!parsed.entry.built_in) roles.push_back(parsed.entry);
  }
  return roles;
}

void RoleSet::AppendRoleScopes(absl::string_view role_name,
                               std::vector<Scope>* scopes) const {
  auto it = snapshot_->roles.find(role_name);
  if (it == snapshot_->roles.end()) return;
  for (const Scope& scope : it->second.scopes) {
    const bool seen =
        std::any_of(scopes->begin(), scopes->end(),
                    [&](const Scope& s) { return s.text == scope.text; });
    if (!seen) scopes->push_back(scope);
  }
}

const std::vector<Scope>* RoleSet::RoleScopes(absl::string_view name) const {
  auto it = snapshot_->roles.find(name);
  return it == snapshot_->roles.end() ? nullptr : &it->second.scopes;
}

EffectiveScopes::EffectiveScopes(
    const RoleSet& role_set, const bastion::common::v1::Principal& principal)
    : own_(role_set.grammar().ParseAll(principal.scopes())) {
  // Two lookups per role (they are few) buy one allocation for all_.
  std::size_t size = own_.size();
  for (const std::string& role : principal.roles()) {
    const std::vector<Scope>* scopes = role_set.RoleScopes(role);
    if (scopes != nullptr) size += scopes->size();
  }
  all_.reserve(size);
  for (const Scope& scope : own_) all_.push_back(&scope);
  for (const std::string& role : principal.roles()) {
    const std::vector<Scope>* scopes = role_set.RoleScopes(role);
    if (scopes == nullptr) continue;
    for (const Scope& scope : *scopes) all_.push_back(&scope);
  }
}

bool RoleSet::RoleAllowsTool(absl::string_view role_name,
                             absl::string_view tool) const {
  if (!IsValidToolName(tool)) return false;
  const Role* role = Find(role_name);
  return role != nullptr && ListHasTool(role->allowed_tools, tool);
}

}  // namespace bastion::authz
