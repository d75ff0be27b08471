#include "services/data/domain/checks.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids/resource_id.h"
#include "services/data/storage/sql_values.h"

namespace bastion::data::domain {

absl::Status CheckId(std::string_view id, const char *field) {
  return CheckResourceId(absl::string_view(id.data(), id.size()), field);
}

absl::Status CheckOptionalId(std::string_view id, const char *field) {
  if (id.empty()) return absl::OkStatus();
  return CheckId(id, field);
}

absl::Status CheckComponent(common::v1::ComponentType type,
                            const std::string &component_id) {
  if (storage::ComponentTypeText(type) == nullptr) {
    return absl::InvalidArgumentError("component_type is required");
  }
  if (component_id.empty() || component_id.size() > 256) {
    return absl::InvalidArgumentError(
        "component_id must have 1 to 256 characters");
  }
  return absl::OkStatus();
}

absl::Status CheckComponentFilter(common::v1::ComponentType type) {
  if (type != common::v1::COMPONENT_TYPE_UNSPECIFIED &&
      storage::ComponentTypeText(type) == nullptr) {
    return absl::InvalidArgumentError("unknown component_type");
  }
  return absl::OkStatus();
}

absl::Status CheckJsonObject(std::string_view json, size_t max_bytes,
                             const char *field) {
  if (json.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is larger than ", max_bytes, " bytes"));
  }
  size_t i = json.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || json[i] != '{') {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a JSON object"));
  }
  return absl::OkStatus();
}

absl::Status CheckMaxBytes(std::string_view text, size_t max_bytes,
                           const char *field) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is larger than ", max_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckSha256Hex(std::string_view text, const char *field) {
  bool ok = text.size() == 64;
  for (char c : text) {
    ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be 64 lowercase hex"));
  }
  return absl::OkStatus();
}

absl::StatusOr<storage::Page> PageOf(std::string ordering,
                                     const common::v1::PageRequest &request) {
  if (request.limit() < 0 || request.limit() > storage::kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page.limit must be between 0 and ", storage::kMaxPageSize));
  }
  storage::Page page;
  page.limit =
      request.limit() == 0 ? storage::kDefaultPageSize : request.limit();
  absl::StatusOr<std::optional<storage::Cursor>> after =
      storage::DecodeCursor(ordering, request.cursor());
  if (!after.ok()) return after.status();
  page.after = *std::move(after);
  page.ordering = std::move(ordering);
  return page;
}

}  // namespace bastion::data::domain
