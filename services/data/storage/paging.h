// Keyset pages of the stores' lists: the page a list statement reads, its
// parameters, and the opaque cursor that names the position after a page.
#ifndef BASTION_SERVICES_DATA_STORAGE_PAGING_H_
#define BASTION_SERVICES_DATA_STORAGE_PAGING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/pg_connection.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "services/data/storage/sql_values.h"

namespace bastion::data::storage {

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 1000;

// A position in an ordered list: (timestamp micros, id), tagged with the
// list's ordering so a cursor cannot be replayed against another order.
struct Cursor {
  int64_t micros = 0;
  std::string id;
};
std::string EncodeCursor(std::string_view ordering, const Cursor &cursor);
// Empty cursor text -> nullopt. INVALID_ARGUMENT for anything malformed or
// made for another ordering.
absl::StatusOr<std::optional<Cursor>> DecodeCursor(std::string_view ordering,
                                                   std::string_view text);

// One page of a keyset-paged list: its ordering, size and the position it
// starts after (none on the first page).
struct Page {
  std::string ordering;
  int limit = kDefaultPageSize;
  std::optional<Cursor> after;
};
// `filters` followed by the parameters every list statement ends with:
// cursor micros and cursor id (NULL on the first page), then limit + 1 (the
// extra row tells whether a next page exists).
std::vector<pg::Param> PageParams(const Page &page,
                                  std::vector<pg::Param> filters);

// The result columns a list is ordered by: the cursor is made from them.
struct PageKey {
  const char *micros_column;
  const char *id_column;
};

namespace internal {
template <typename T>
absl::Status Assign(T value, T *out) {
  *out = std::move(value);
  return absl::OkStatus();
}
template <typename T>
absl::Status Assign(absl::StatusOr<T> value, T *out) {
  if (!value.ok()) return value.status();
  *out = *std::move(value);
  return absl::OkStatus();
}
}  // namespace internal

// Fills one page from `rows` (a list statement's result with at most
// limit + 1 rows): the first `limit` rows, each converted by
// `convert(rows, i)` (returning the item or a StatusOr of it), into `items`,
// and, when the extra row came back, the cursor after the last item kept
// into `next`.
template <typename T, typename Convert>
absl::Status FillPage(const pg::PgResult &rows, const Page &page,
                      const PageKey &key, Convert convert,
                      google::protobuf::RepeatedPtrField<T> *items,
                      common::v1::PageResponse *next) {
  const int n = rows.rows() < page.limit ? rows.rows() : page.limit;
  for (int i = 0; i < n; ++i) {
    absl::Status converted = internal::Assign(convert(rows, i), items->Add());
    if (!converted.ok()) return converted;
  }
  if (rows.rows() > page.limit) {
    next->set_next_cursor(EncodeCursor(
        page.ordering, {ToInt64(rows.Get(n - 1, key.micros_column)),
                        std::string(rows.Get(n - 1, key.id_column))}));
  }
  return absl::OkStatus();
}

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_PAGING_H_
