#include "services/data/storage/store_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ids/resource_id.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bastion::data::storage {
namespace {

constexpr char kAudit[] =
    "INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level,"
    " action, resource, resource_id, target_user_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)";

// $1..$6 as kAudit; the target is the owner of row $6 of the tenant $1.
#define AUDIT_BY_ID(table, id_column)                                       \
  "INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level," \
  " action, resource, resource_id, target_user_id)"                         \
  " SELECT $1, $2, $3, $4, $5, $6, coalesce((SELECT user_id FROM"           \
  " bastion_data." table " WHERE tenant_id = $1 AND " id_column             \
  " = $6"                                                                   \
  " LIMIT 1), '')"

// $1..$5 as kAudit, $6 a JSON array of ids: one row per id, in order, each
// naming the owner of that row of the tenant $1.
#define AUDIT_BY_IDS(table, id_column)                                      \
  "INSERT INTO bastion_data.audit_events (tenant_id, user_id, admin_level," \
  " action, resource, resource_id, target_user_id)"                         \
  " SELECT $1, $2, $3, $4, $5, ids.id, coalesce((SELECT user_id FROM"       \
  " bastion_data." table " WHERE tenant_id = $1 AND " id_column             \
  " = ids.id LIMIT 1), '')"                                                 \
  " FROM jsonb_array_elements_text($6::jsonb) WITH ORDINALITY"              \
  " AS ids(id, ord) ORDER BY ids.ord"

struct AuditedTableSql {
  const char* resource;
  const char* by_id;   // AUDIT_BY_ID
  const char* by_ids;  // AUDIT_BY_IDS
};

#define AUDITED_TABLE(resource, table, id_column) \
  {resource, AUDIT_BY_ID(table, id_column), AUDIT_BY_IDS(table, id_column)}

AuditedTableSql SqlFor(AuditedTable table) {
  switch (table) {
    case AuditedTable::kSessions:
      return AUDITED_TABLE("sessions", "sessions", "session_id");
    case AuditedTable::kMemories:
      return AUDITED_TABLE("memories", "memories", "memory_id");
    case AuditedTable::kSpans:
      return AUDITED_TABLE("traces", "spans", "trace_id");
    case AuditedTable::kRuns:
      return AUDITED_TABLE("runs", "runs", "run_id");
    case AuditedTable::kApprovals:
      return AUDITED_TABLE("approvals", "approvals", "approval_id");
    case AuditedTable::kSchedules:
      return AUDITED_TABLE("schedules", "schedules", "schedule_id");
  }
  return {"", nullptr, nullptr};
}

// $1..$5 of the audit statements: the admin, its level, `action` and
// `resource`.
std::vector<pg::Param> AuditParams(const pg::PrincipalScope& scope,
                                   const char* action, const char* resource) {
  return {scope.tenant_id, scope.user_id,
          std::string(pg::AdminLevelName(scope.admin_level)),
          std::string(action), std::string(resource)};
}

}  // namespace

const char* ComponentTypeText(common::v1::ComponentType type) {
  switch (type) {
    case common::v1::COMPONENT_TYPE_AGENT:
      return "agent";
    case common::v1::COMPONENT_TYPE_TEAM:
      return "team";
    case common::v1::COMPONENT_TYPE_WORKFLOW:
      return "workflow";
    default:
      return nullptr;
  }
}

common::v1::ComponentType ComponentTypeFromText(std::string_view text) {
  if (text == "agent") return common::v1::COMPONENT_TYPE_AGENT;
  if (text == "team") return common::v1::COMPONENT_TYPE_TEAM;
  if (text == "workflow") return common::v1::COMPONENT_TYPE_WORKFLOW;
  return common::v1::COMPONENT_TYPE_UNSPECIFIED;
}

absl::StatusOr<pg::Param> ComponentTypeFilter(common::v1::ComponentType type) {
  if (type == common::v1::COMPONENT_TYPE_UNSPECIFIED) return pg::Param();
  const char* text = ComponentTypeText(type);
  if (text == nullptr) {
    return absl::InvalidArgumentError("unknown component_type");
  }
  return pg::Param(text);
}

absl::StatusOr<std::string> CheckComponent(common::v1::ComponentType type,
                                           const std::string& component_id) {
  const char* text = ComponentTypeText(type);
  if (text == nullptr) {
    return absl::InvalidArgumentError("component_type is required");
  }
  if (component_id.empty() || component_id.size() > 256) {
    return absl::InvalidArgumentError(
        "component_id must have 1 to 256 characters");
  }
  return std::string(text);
}

absl::Status CheckId(std::string_view id, const char* field) {
  return CheckResourceId(absl::string_view(id.data(), id.size()), field);
}

absl::StatusOr<int> PageSize(const common::v1::PageRequest& page) {
  if (page.limit() < 0 || page.limit() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.limit must be between 0 and ", kMaxPageSize));
  }
  return page.limit() == 0 ? kDefaultPageSize : page.limit();
}

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
  if (!CheckId(cursor.id, "cursor").ok()) return bad;
  return std::optional<Cursor>(std::move(cursor));
}

absl::StatusOr<Page> PageOf(std::string ordering,
                            const common::v1::PageRequest& request) {
  Page page;
  absl::StatusOr<int> limit = PageSize(request);
  if (!limit.ok()) return limit.status();
  page.limit = *limit;
  absl::StatusOr<std::optional<Cursor>> after =
      DecodeCursor(ordering, request.cursor());
  if (!after.ok()) return after.status();
  page.after = *std::move(after);
  page.ordering = std::move(ordering);
  return page;
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

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

absl::StatusOr<std::vector<std::string>> ParseJsonStringArray(
    std::string_view json) {
  google::protobuf::ListValue list;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &list)
           .ok()) {
    return absl::InternalError("malformed stored list");
  }
  std::vector<std::string> out;
  for (const google::protobuf::Value& v : list.values()) {
    out.push_back(v.string_value());
  }
  return out;
}

absl::Status CheckJsonObject(std::string_view json, size_t max_bytes,
                             const char* field) {
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

int64_t ToInt64(std::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(std::string(text), &value)) return 0;
  return value;
}

pg::Param OptionalParam(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

OwnerFilter ListFilter(const pg::PrincipalScope& scope,
                       const std::string& requested_user) {
  switch (scope.admin_level) {
    case pg::AdminLevel::kPlatform:
      return {std::nullopt, OptionalParam(requested_user)};
    case pg::AdminLevel::kTenant:
      return {scope.tenant_id, OptionalParam(requested_user)};
    case pg::AdminLevel::kNone:
      break;
  }
  return {scope.tenant_id, scope.user_id};
}

OwnerFilter ByIdFilter(const pg::PrincipalScope& scope) {
  if (scope.admin_level == pg::AdminLevel::kNone) {
    return {scope.tenant_id, scope.user_id};
  }
  return {scope.tenant_id, std::nullopt};
}

std::vector<pg::Statement> AdminAudit(const pg::PrincipalScope& scope,
                                      const char* action, const char* resource,
                                      const std::string& resource_id,
                                      const std::string& target_user_id) {
  if (scope.admin_level == pg::AdminLevel::kNone) return {};
  std::vector<pg::Param> params = AuditParams(scope, action, resource);
  params.push_back(resource_id);
  params.push_back(target_user_id);
  return {{kAudit, std::move(params)}};
}

std::vector<pg::Statement> AdminAuditById(const pg::PrincipalScope& scope,
                                          AuditedTable table,
                                          const char* action,
                                          const std::string& resource_id) {
  if (scope.admin_level == pg::AdminLevel::kNone) return {};
  const AuditedTableSql sql = SqlFor(table);
  std::vector<pg::Param> params = AuditParams(scope, action, sql.resource);
  params.push_back(resource_id);
  return {{sql.by_id, std::move(params)}};
}

std::vector<pg::Statement> AdminAuditByIds(
    const pg::PrincipalScope& scope, AuditedTable table, const char* action,
    const google::protobuf::RepeatedPtrField<std::string>& resource_ids) {
  if (scope.admin_level == pg::AdminLevel::kNone || resource_ids.empty()) {
    return {};
  }
  const AuditedTableSql sql = SqlFor(table);
  std::vector<pg::Param> params = AuditParams(scope, action, sql.resource);
  params.push_back(JsonStringArray(resource_ids));
  return {{sql.by_ids, std::move(params)}};
}

absl::StatusOr<pg::PgResult> RunAudited(pg::PgPool& pool,
                                        const pg::PrincipalScope& scope,
                                        std::vector<pg::Statement> audit,
                                        pg::Statement statement) {
  const size_t at = audit.size();
  audit.push_back(std::move(statement));
  absl::StatusOr<std::vector<pg::PgResult>> results =
      pg::RunAsPrincipal(pool, scope, std::move(audit));
  if (!results.ok()) return results.status();
  return std::move((*results)[at]);
}

absl::StatusOr<pg::PgResult> RunById(pg::PgPool& pool,
                                     const pg::PrincipalScope& scope,
                                     AuditedTable table, const char* action,
                                     const std::string& id,
                                     const char* statement,
                                     std::vector<pg::Param> extra) {
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Param> params = {owner.tenant_id, owner.user_id, id};
  for (pg::Param& param : extra) params.push_back(std::move(param));
  return RunAudited(pool, scope, AdminAuditById(scope, table, action, id),
                    {statement, std::move(params)});
}

}  // namespace bastion::data::storage
