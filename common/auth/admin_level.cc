#include "common/auth/admin_level.h"

namespace bastion {

absl::string_view AdminLevelName(AdminLevel level) {
  switch (level) {
    case AdminLevel::kTenant:
      return "tenant";
    case AdminLevel::kPlatform:
      return "platform";
    case AdminLevel::kNone:
      break;
  }
  return "none";
}

AdminLevel AdminLevelFromName(absl::string_view name) {
  if (name == "platform") return AdminLevel::kPlatform;
  if (name == "tenant") return AdminLevel::kTenant;
  return AdminLevel::kNone;
}

}  // namespace bastion
