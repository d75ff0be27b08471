// The resource id grammar; see resource_id.h.
#include "common/ids/resource_id.h"

#include "absl/strings/str_cat.h"

namespace bastion {
namespace {

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

}  // namespace

bool IsValidResourceId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxResourceIdBytes) return false;
  for (char c : id) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

absl::Status CheckResourceId(absl::string_view id, absl::string_view field) {
  if (IsValidResourceId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must match ", kResourceIdPattern));
}

}  // namespace bastion
