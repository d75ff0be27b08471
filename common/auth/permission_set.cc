// The closed permission vocabulary; see permission_set.h.
#include "common/auth/permission_set.h"

#include <algorithm>

#include "absl/strings/str_join.h"

namespace bastion {

absl::string_view ResourceName(Resource resource) {
  switch (resource) {
    case Resource::kAgents:
      return "agents";
    case Resource::kTeams:
      return "teams";
    case Resource::kWorkflows:
      return "workflows";
    case Resource::kSessions:
      return "sessions";
    case Resource::kMemories:
      return "memories";
    case Resource::kTraces:
      return "traces";
    case Resource::kApprovals:
      return "approvals";
    case Resource::kSchedules:
      return "schedules";
    case Resource::kApiKeys:
      return "api_keys";
    case Resource::kRoles:
      return "roles";
    case Resource::kConfig:
      return "config";
    case Resource::kAudit:
      return "audit";
    case Resource::kRuns:
      return "runs";
    case Resource::kTools:
      return "tools";
  }
  return "";
}

std::optional<Resource> ParseResource(absl::string_view name) {
  for (Resource resource : kAllResources) {
    if (ResourceName(resource) == name) return resource;
  }
  return std::nullopt;
}

bool IsDeclarableAction(absl::string_view action) {
  return std::find(kDeclarableActions.begin(), kDeclarableActions.end(),
                   action) != kDeclarableActions.end();
}

std::string ResourceNames() {
  return absl::StrJoin(kAllResources, ", ",
                       [](std::string* out, Resource resource) {
                         out->append(ResourceName(resource).data(),
                                     ResourceName(resource).size());
                       });
}

std::string DeclarableActionNames() {
  return absl::StrJoin(kDeclarableActions, ", ");
}

}  // namespace bastion
