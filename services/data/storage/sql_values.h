// How the PostgreSQL stores write values into SQL and read them back:
// timestamps, component types, integers, JSON string arrays and optional
// parameters.
#ifndef BASTION_SERVICES_DATA_STORAGE_SQL_VALUES_H_
#define BASTION_SERVICES_DATA_STORAGE_SQL_VALUES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bastion/common/v1/common.pb.h"
#include "common/pg/pg_connection.h"

// SQL fragments: a timestamptz column as exact epoch microseconds, and an
// epoch-microseconds parameter as timestamptz.
#define BASTION_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define BASTION_TS(param) \
  "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

namespace bastion::data::storage {

// "agent" / "team" / "workflow"; nullptr for unspecified or unknown.
const char *ComponentTypeText(common::v1::ComponentType type);
common::v1::ComponentType ComponentTypeFromText(std::string_view text);

// The parameter of an optional component-type filter: NULL (any) for
// unspecified (or unknown: the domain refuses those before).
pg::Param ComponentTypeParam(common::v1::ComponentType type);

// A decimal int64 column value (0 when NULL or empty).
int64_t ToInt64(std::string_view text);

// JSON text of a string: quoted and escaped.
std::string JsonQuote(std::string_view s);
// JSON text of an array of strings.
template <typename Strings>
std::string JsonStringArray(const Strings &strings) {
  std::string out = "[";
  bool first = true;
  for (const auto &s : strings) {
    if (!first) out += ",";
    first = false;
    out += JsonQuote(s);
  }
  return out + "]";
}
// Parses a JSON array of strings (as PostgreSQL returns it).
absl::StatusOr<std::vector<std::string>> ParseJsonStringArray(
    std::string_view json);

// The parameter for an optional filter: nullopt (= no filter) when empty.
pg::Param OptionalParam(const std::string &value);

}  // namespace bastion::data::storage

#endif  // BASTION_SERVICES_DATA_STORAGE_SQL_VALUES_H_
