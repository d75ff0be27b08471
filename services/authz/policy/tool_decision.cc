// The tool decision; see tool_decision.h.
#include "services/authz/policy/tool_decision.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/authz/policy/decision.h"

namespace bastion::authz {
namespace {

bool Listed(const std::vector<std::string>& tools, absl::string_view tool) {
  return std::any_of(tools.begin(), tools.end(), [&](const std::string& t) {
    return t == kAllTools || t == tool;
  });
}

ToolDecision Allow(const RoleSet& role_set, absl::string_view tool,
                   std::string reason) {
  const ToolPolicy& policy = role_set.tool_policy();
  ToolDecision decision;
  decision.allowed = true;
  decision.reason = std::move(reason);
  decision.needs_confirmation = Listed(policy.requires_confirmation, tool);
  decision.needs_approval = Listed(policy.requires_approval, tool);
  return decision;
}

ToolDecision Deny(std::string reason) {
  ToolDecision decision;
  decision.reason = std::move(reason);
  return decision;
}

}  // namespace

bool operator==(const ToolDecision& a, const ToolDecision& b) {
  return a.allowed == b.allowed && a.reason == b.reason &&
         a.needs_confirmation == b.needs_confirmation &&
         a.needs_approval == b.needs_approval;
}

std::ostream& operator<<(std::ostream& os, const ToolDecision& decision) {
  return os << (decision.allowed ? "ALLOW" : "DENY")
            << (decision.needs_confirmation ? " +confirmation" : "")
            << (decision.needs_approval ? " +approval" : "") << " ("
            << decision.reason << ")";
}

namespace {

// `roles`: the caller's role names (any range of strings); `level`: its admin
// level from its effective scopes.
template <typename Roles, typename Scopes>
ToolDecision DecideToolAt(const RoleSet& role_set, const Roles& roles,
                          const Scopes& scopes, absl::string_view tool) {
  if (!IsValidToolName(tool)) {
    return Deny(absl::StrCat("invalid tool name ", QuoteUntrusted(tool)));
  }
  switch (LevelOf(scopes)) {
    case AdminLevel::kPlatform:
      return Allow(role_set, tool,
                   "every tool is allowed by the platform admin scope");
    case AdminLevel::kTenant:
      return Allow(role_set, tool,
                   "every tool is allowed by the tenant admin scope");
    case AdminLevel::kNone:
      break;
  }
  // "tools:<tool>:run", "tools:*:run" or "tools:run", held or granted by a
  // role.
  absl::StatusOr<Permission> run_tool = MakePermission("tools", "run", tool);
  if (run_tool.ok()) {
    if (Decision granted = Decide(scopes, *run_tool); granted.allowed) {
      return Allow(role_set, tool, std::move(granted.reason));
    }
  }
  for (const std::string& role : roles) {
    if (role_set.RoleAllowsTool(role, tool)) {
      return Allow(role_set, tool,
                   absl::StrCat("tool ", QuoteUntrusted(tool),
                                " is allowed by role ", QuoteUntrusted(role)));
    }
  }
  return Deny(absl::StrCat("no scope or role of the caller allows tool ",
                           QuoteUntrusted(tool)));
}

}  // namespace

ToolDecision DecideTool(const RoleSet& role_set,
                        const std::vector<std::string>& roles,
                        const std::vector<Scope>& scopes,
                        absl::string_view tool) {
  return DecideToolAt(role_set, roles, scopes, tool);
}

ToolDecision DecideTool(const RoleSet& role_set,
                        const bastion::common::v1::Principal& principal,
                        absl::string_view tool) {
  const EffectiveScopes scopes(role_set, principal);
  return DecideToolAt(role_set, principal.roles(), scopes.all(), tool);
}

}  // namespace bastion::authz
