// The tool decision: may this caller's run invoke a tool, and does the call
// need the owner's confirmation or an approver's approval. A pure function
// over a RoleSet snapshot and the caller's roles and scopes.
#ifndef BASTION_SERVICES_AUTHZ_POLICY_TOOL_DECISION_H_
#define BASTION_SERVICES_AUTHZ_POLICY_TOOL_DECISION_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "services/authz/policy/roles.h"
#include "services/authz/policy/scope.h"

namespace bastion::authz {

struct ToolDecision {
  bool allowed = false;
  // Names the granting role / admin scope, or why the call is refused; safe
  // to log (the tool name is escaped).
  std::string reason;
  // From the tenant's ToolPolicy; both false when the call is refused.
  bool needs_confirmation = false;
  bool needs_approval = false;
};

bool operator==(const ToolDecision& a, const ToolDecision& b);
std::ostream& operator<<(std::ostream& os, const ToolDecision& decision);

// Allowed when the caller holds the tenant or platform admin scope, when
// its effective scopes (see EffectiveScopes in roles.h: its own and its
// roles') grant "tools:<tool>:run" (also as "tools:*:run" or "tools:run"),
// or when one of its roles (in order; unknown names count for nothing)
// lists the tool or kAllTools. Refused for an invalid tool name, and
// otherwise.
ToolDecision DecideTool(const RoleSet& role_set,
                        const std::vector<std::string>& roles,
                        const std::vector<Scope>& scopes,
                        absl::string_view tool);

// The same for a verified principal: its roles, and its effective scopes
// under `role_set` (borrowed, not copied: the CheckTool path).
ToolDecision DecideTool(const RoleSet& role_set,
                        const bastion::common::v1::Principal& principal,
                        absl::string_view tool);

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_TOOL_DECISION_H_
