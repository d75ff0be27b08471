#include "services/data/storage/paging.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids/resource_id.h"

namespace bastion::data::storage {

std::string EncodeCursor(std::string_view ordering, const Cursor& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(
      "v1|", std::string(ordering), "|", cursor.micros, "|", cursor.id));
}

absl::StatusOr<std::optional<Cursor>> DecodeCursor(std::string_view ordering,
                                                   std::string_view text) {
  if (text.empty()) return std::optional<Cursor>();
  const absl::Status bad = absl::InvalidArgumentError("invalid page.cursor");
  std::string raw;
  if (text.size() > 1024 ||
      !absl::WebSafeBase64Unescape(std::string(text), &raw)) {
    return bad;
  }
  const std::string prefix = absl::StrCat("v1|", std::string(ordering), "|");
  if (raw.compare(0, prefix.size(), prefix) != 0) return bad;
  std::string rest = raw.substr(prefix.size());
  const size_t bar = rest.find('|');
  if (bar == std::string::npos) return bad;
  Cursor cursor;
  if (!absl::SimpleAtoi(rest.substr(0, bar), &cursor.micros)) return bad;
  cursor.id = rest.substr(bar + 1);
  if (!IsValidResourceId(cursor.id)) return bad;
  return std::optional<Cursor>(std::move(cursor));
}

std::vector<pg::Param> PageParams(const Page& page,
                                  std::vector<pg::Param> filters) {
  if (page.after) {
    filters.push_back(std::to_string(page.after->micros));
    filters.push_back(page.after->id);
  } else {
    filters.push_back(std::nullopt);
    filters.push_back(std::nullopt);
  }
  filters.push_back(std::to_string(page.limit + 1));
  return filters;
}

}  // namespace bastion::data::storage
