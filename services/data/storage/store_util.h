// Small helpers the PostgreSQL stores share: id and size checks, keyset
// pages and their opaque cursors, JSON string arrays, timestamps, owner
// filters and admin-audited statements.
#ifndef BASTION_SERVICES_DATA_STORAGE_STORE_UTIL_H_
#define BASTION_SERVICES_DATA_STORAGE_STORE_UTIL_H_

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
#include "common/pg/principal_transaction.h"
#include "google/protobuf/repeated_ptr_field.h"

#include "bastion/data/v1/data.pb.h"

// SQL fragments: a timestamptz column as exact epoch microseconds, and an
// epoch-microseconds parameter as timestamptz.
#define BASTION_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define BASTION_TS(param) \
  "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

// Owner conditions of list queries ($1 tenant, $2 user). One user's rows
// (the common call) use plain equalities, so PostgreSQL keeps one generic
// plan on the index instead of planning, with the RLS policy, on every
// call; admins' lists use the NULL-means-any form.
#define BASTION_ONE_OWNER " WHERE tenant_id = $1 AND user_id = $2"
#define BASTION_ANY_OWNER                     \
  " WHERE ($1::text IS NULL OR tenant_id = $1)" \
  " AND ($2::text IS NULL OR user_id = $2)"

namespace bastion::data::storage {

// "agent" / "team" / "workflow"; nullptr for unspecified or unknown.
const char* ComponentTypeText(common::v1::ComponentType type);
common::v1::ComponentType ComponentTypeFromText(std::string_view text);

// The parameter of an optional component-type filter: NULL (any) for
// unspecified, INVALID_ARGUMENT for an unknown value.
absl::StatusOr<pg::Param> ComponentTypeFilter(common::v1::ComponentType type);

// The component a new row runs: the type's text once the type is given and
// `component_id` has 1 to 256 characters; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> CheckComponent(common::v1::ComponentType type,
                                           const std::string& component_id);

// A decimal int64 column value (0 when NULL or empty).
int64_t ToInt64(std::string_view text);

inline constexpr int kDefaultPageSize = 20;
inline constexpr int kMaxPageSize = 1000;

// The suite's id grammar (common/ids/resource_id.h); INVALID_ARGUMENT
// naming `field` otherwise.
absl::Status CheckId(std::string_view id, const char* field);

// The page size: default for 0, INVALID_ARGUMENT below 0 or above the max.
absl::StatusOr<int> PageSize(const common::v1::PageRequest& page);

// A position in an ordered list: (timestamp micros, id), tagged with the
// list's ordering so a cursor cannot be replayed against another order.
struct Cursor {
  int64_t micros = 0;
  std::string id;
};
std::string EncodeCursor(std::string_view ordering, const Cursor& cursor);
// Empty cursor text -> nullopt. INVALID_ARGUMENT for anything malformed or
// made for another ordering.
absl::StatusOr<std::optional<Cursor>> DecodeCursor(std::string_view ordering,
                                                   std::string_view text);

// One page of a keyset-paged list: its ordering, size and the position it
// starts after (none on the first page).
struct Page {
  std::string ordering;
  int limit = 0;
  std::optional<Cursor> after;
};
// PageSize and DecodeCursor of `request` for `ordering`.
absl::StatusOr<Page> PageOf(std::string ordering,
                            const common::v1::PageRequest& request);
// `filters` followed by the parameters every list statement ends with:
// cursor micros and cursor id (NULL on the first page), then limit + 1 (the
// extra row tells whether a next page exists).
std::vector<pg::Param> PageParams(const Page& page,
                                  std::vector<pg::Param> filters);

// The result columns a list is ordered by: the cursor is made from them.
struct PageKey {
  const char* micros_column;
  const char* id_column;
};

namespace internal {
template <typename T>
absl::Status Assign(T value, T* out) {
  *out = std::move(value);
  return absl::OkStatus();
}
template <typename T>
absl::Status Assign(absl::StatusOr<T> value, T* out) {
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
absl::Status FillPage(const pg::PgResult& rows, const Page& page,
                      const PageKey& key, Convert convert,
                      google::protobuf::RepeatedPtrField<T>* items,
                      common::v1::PageResponse* next) {
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

// JSON text of a string: quoted and escaped.
std::string JsonQuote(std::string_view s);
// JSON text of an array of strings.
template <typename Strings>
std::string JsonStringArray(const Strings& strings) {
  std::string out = "[";
  bool first = true;
  for (const auto& s : strings) {
    if (!first) out += ",";
    first = false;
    out += JsonQuote(s);
  }
  return out + "]";
}
// Parses a JSON array of strings (as PostgreSQL returns it).
absl::StatusOr<std::vector<std::string>> ParseJsonStringArray(
    std::string_view json);

// Non-empty text whose first non-blank character is '{', at most
// `max_bytes`; PostgreSQL then checks the syntax (INVALID_ARGUMENT).
absl::Status CheckJsonObject(std::string_view json, size_t max_bytes,
                             const char* field);

// The parameter for an optional filter: nullopt (= no filter) when empty.
pg::Param OptionalParam(const std::string& value);

// Text parameters for (tenant, user) filters. A non-admin is always
// pinned to itself; a tenant admin to its tenant and, optionally, one
// user; a platform admin to nothing (for lists) or its tenant (by id).
struct OwnerFilter {
  pg::Param tenant_id;
  pg::Param user_id;
};
// True when a list filter names one tenant and one user (BASTION_ONE_OWNER).
inline bool OneOwner(const OwnerFilter& filter) {
  return filter.tenant_id.has_value() && filter.user_id.has_value();
}

// For lists: `requested_user` is honoured only for admins.
OwnerFilter ListFilter(const pg::PrincipalScope& scope,
                       const std::string& requested_user);
// For by-id access: always the principal's tenant (ids are unique per
// tenant); the user only for non-admins.
OwnerFilter ByIdFilter(const pg::PrincipalScope& scope);

// The audit statement for an admin call, or nothing for a non-admin. Put
// it before the operation in the same transaction.
std::vector<pg::Statement> AdminAudit(const pg::PrincipalScope& scope,
                                      const char* action, const char* resource,
                                      const std::string& resource_id,
                                      const std::string& target_user_id);

// Runs the `audit` statements (none for a non-admin), then `statement`, as
// the principal in one transaction; returns the statement's result.
absl::StatusOr<pg::PgResult> RunAudited(pg::PgPool& pool,
                                        const pg::PrincipalScope& scope,
                                        std::vector<pg::Statement> audit,
                                        pg::Statement statement);

// The tables whose rows an admin reaches by id.
enum class AuditedTable {
  kSessions,
  kMemories,
  kSpans,
  kRuns,
  kApprovals,
  kSchedules,
};

// Like AdminAudit for a call on one identified row of `table` in the
// principal's tenant: the audit row names that row's owner as
// target_user_id (looked up in the same transaction; empty when there is no
// such row). Put it before the operation, so a delete is recorded with the
// owner it had.
std::vector<pg::Statement> AdminAuditById(const pg::PrincipalScope& scope,
                                          AuditedTable table,
                                          const char* action,
                                          const std::string& resource_id);

// Like AdminAuditById for a call on many identified rows at once: one
// statement writing one audit row per entry of `resource_ids` (duplicates
// included), each naming that row's owner.
std::vector<pg::Statement> AdminAuditByIds(
    const pg::PrincipalScope& scope, AuditedTable table, const char* action,
    const google::protobuf::RepeatedPtrField<std::string>& resource_ids);

// Runs `statement` on one identified row as the principal: it takes $1
// tenant, $2 owner (NULL for an admin), $3 the id and `extra` as $4...; the
// admin audit, if any, runs first in the same transaction. Returns the
// statement's result (callers decide what no row means).
absl::StatusOr<pg::PgResult> RunById(pg::PgPool& pool,
                                     const pg::PrincipalScope& scope,
                                     AuditedTable table, const char* action,
                                     const std::string& id,
                                     const char* statement,
                                     std::vector<pg::Param> extra = {});

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_STORE_UTIL_H_
