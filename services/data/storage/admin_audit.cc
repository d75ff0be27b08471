#include "services/data/storage/admin_audit.h"

#include <utility>

#include "services/data/storage/owner_filter.h"
#include "services/data/storage/sql_values.h"

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
                                     const char* const statement[2],
                                     std::vector<pg::Param> extra) {
  OwnerFilter owner = ByIdFilter(scope);
  std::vector<pg::Param> params = {owner.tenant_id, owner.user_id, id};
  for (pg::Param& param : extra) params.push_back(std::move(param));
  return RunAudited(pool, scope, AdminAuditById(scope, table, action, id),
                    {statement[OneOwner(owner)], std::move(params)});
}

}  // namespace bastion::data::storage
