#include "services/data/storage/store_util.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

struct AuditedTableSql {
  const char* resource;
  const char* sql;
};

AuditedTableSql SqlFor(AuditedTable table) {
  switch (table) {
    case AuditedTable::kSessions:
      return {"sessions", AUDIT_BY_ID("sessions", "session_id")};
    case AuditedTable::kMemories:
      return {"memories", AUDIT_BY_ID("memories", "memory_id")};
    case AuditedTable::kSpans:
      return {"traces", AUDIT_BY_ID("spans", "trace_id")};
    case AuditedTable::kRuns:
      return {"runs", AUDIT_BY_ID("runs", "run_id")};
    case AuditedTable::kApprovals:
      return {"approvals", AUDIT_BY_ID("approvals", "approval_id")};
    case AuditedTable::kSchedules:
      return {"schedules", AUDIT_BY_ID("schedules", "schedule_id")};
  }
  return {"", nullptr};
}

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

}  // namespace

const char* ComponentTypeText(v1::ComponentType type) {
  switch (type) {
    case v1::COMPONENT_TYPE_AGENT:
      return "agent";
    case v1::COMPONENT_TYPE_TEAM:
      return "team";
    case v1::COMPONENT_TYPE_WORKFLOW:
      return "workflow";
    default:
      return nullptr;
  }
}

v1::ComponentType ComponentTypeFromText(std::string_view text) {
  if (text == "agent") return v1::COMPONENT_TYPE_AGENT;
  if (text == "team") return v1::COMPONENT_TYPE_TEAM;
  if (text == "workflow") return v1::COMPONENT_TYPE_WORKFLOW;
  return v1::COMPONENT_TYPE_UNSPECIFIED;
}

absl::Status CheckId(std::string_view id, const char* field) {
  bool ok = !id.empty() && id.size() <= 128;
  for (char c : id) ok = ok && IdChar(c);
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must match [A-Za-z0-9._:-]{1,128}"));
  }
  return absl::OkStatus();
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
  return {{kAudit,
           {scope.tenant_id, scope.user_id,
            std::string(pg::AdminLevelName(scope.admin_level)),
            std::string(action), std::string(resource), resource_id,
            target_user_id}}};
}

std::vector<pg::Statement> AdminAuditById(const pg::PrincipalScope& scope,
                                          AuditedTable table,
                                          const char* action,
                                          const std::string& resource_id) {
  if (scope.admin_level == pg::AdminLevel::kNone) return {};
  const AuditedTableSql sql = SqlFor(table);
  return {{sql.sql,
           {scope.tenant_id, scope.user_id,
            std::string(pg::AdminLevelName(scope.admin_level)),
            std::string(action), std::string(sql.resource), resource_id}}};
}

absl::StatusOr<pg::PgResult> RunById(pg::PgPool& pool,
                                        const pg::PrincipalScope& scope,
                                        AuditedTable table, const char* action,
                                        const std::string& id,
                                        const char* statement) {
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Statement> batch = AdminAuditById(scope, table, action, id);
  const size_t at = batch.size();
  batch.push_back({statement, {owner.tenant_id, owner.user_id, id}});
  absl::StatusOr<std::vector<pg::PgResult>> results =
      pg::RunAsPrincipal(pool, scope, std::move(batch));
  if (!results.ok()) return results.status();
  return std::move((*results)[at]);
}

}  // namespace bastion::data::storage
