// The closed set of resources and actions a permission may name: what a
// method may declare in its proto's `bastion.common.v1.permission` option
// (a server refuses to start on anything else, common/server/
// permission_table.h) and what authz's scopes grant. One list for every
// service; adding a resource or an action starts here.
#ifndef BASTION_COMMON_AUTH_PERMISSION_SET_H_
#define BASTION_COMMON_AUTH_PERMISSION_SET_H_

#include <array>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace bastion {

// Resource families. Spelled in protos and scopes exactly as ResourceName()
// returns them (lower case, case-sensitive).
enum class Resource {
  kAgents,
  kTeams,
  kWorkflows,
  kSessions,
  kMemories,
  kTraces,
  kApprovals,
  kSchedules,
  kApiKeys,
  kRoles,
  kConfig,
  kAudit,
  kRuns,
  // Tools a run may call: "tools:<name>:run" lets the holder's runs call
  // that tool (authz's CheckTool); no RPC declares it.
  kTools,
};

// Every resource, in declaration order.
inline constexpr std::array<Resource, 14> kAllResources = {
    Resource::kAgents,    Resource::kTeams,    Resource::kWorkflows,
    Resource::kSessions,  Resource::kMemories, Resource::kTraces,
    Resource::kApprovals, Resource::kSchedules, Resource::kApiKeys,
    Resource::kRoles,     Resource::kConfig,   Resource::kAudit,
    Resource::kRuns,      Resource::kTools,
};

// "agents", "api_keys", ...
absl::string_view ResourceName(Resource resource);

// Exact, case-sensitive lookup; nullopt for anything not in the closed set.
std::optional<Resource> ParseResource(absl::string_view name);

// The actions a method may declare. Actions are exact strings and never
// imply each other (write does not imply read).
inline constexpr std::array<absl::string_view, 5> kDeclarableActions = {
    "read", "write", "delete", "run", "check",
};

// Exact, case-sensitive membership in kDeclarableActions.
bool IsDeclarableAction(absl::string_view action);

// "agents, teams, ..." and "read, write, ...": the lists, for messages that
// say what would have been accepted.
std::string ResourceNames();
std::string DeclarableActionNames();

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_PERMISSION_SET_H_
