// PgRoleStore; see pg_role_store.h.
#include "services/authz/storage/pg_role_store.h"

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/pg/principal_transaction.h"
#include "common/status/status_macros.h"

namespace bastion::authz {
namespace {

// Arrays are read back joined with single spaces: the schema guarantees
// every element is printable ASCII without whitespace
// (bastion_authz.valid_tokens), so splitting on spaces is exact.
constexpr char kVersion[] =
    "SELECT version FROM bastion_authz.tenant_policy WHERE tenant_id = $1";

// One statement, so the version, tool policy and roles come from one
// snapshot. No policy row: no rows (version 0).
constexpr char kLoad[] = R"sql(
SELECT p.version,
       array_to_string(p.requires_confirmation, ' '),
       array_to_string(p.requires_approval, ' '),
       r.name, r.description,
       array_to_string(r.scopes, ' '),
       array_to_string(r.allowed_tools, ' '),
       r.version
  FROM bastion_authz.tenant_policy p
  LEFT JOIN bastion_authz.roles r ON r.tenant_id = p.tenant_id
 WHERE p.tenant_id = $1
 ORDER BY r.name)sql";

// Bumps the tenant's version under the policy row's lock, so concurrent
// changes of one tenant serialize and each gets its own version.
constexpr char kBump[] = R"sql(
INSERT INTO bastion_authz.tenant_policy AS p (tenant_id, version, updated_by)
VALUES ($1, 1, $2)
ON CONFLICT (tenant_id) DO UPDATE
   SET version = p.version + 1, updated_at = now(),
       updated_by = EXCLUDED.updated_by
RETURNING version)sql";

constexpr char kBumpWithToolPolicy[] = R"sql(
INSERT INTO bastion_authz.tenant_policy AS p
       (tenant_id, version, requires_confirmation, requires_approval,
        updated_by)
VALUES ($1, 1, $3::text[], $4::text[], $2)
ON CONFLICT (tenant_id) DO UPDATE
   SET version = p.version + 1,
       requires_confirmation = EXCLUDED.requires_confirmation,
       requires_approval = EXCLUDED.requires_approval,
       updated_at = now(), updated_by = EXCLUDED.updated_by
RETURNING version)sql";

constexpr char kUpsertRole[] = R"sql(
INSERT INTO bastion_authz.roles
       (tenant_id, name, description, scopes, allowed_tools, version,
        updated_by)
VALUES ($1, $2, $3, $4::text[], $5::text[],
        (SELECT version FROM bastion_authz.tenant_policy
          WHERE tenant_id = $1),
        $6)
ON CONFLICT (tenant_id, name) DO UPDATE
   SET description = EXCLUDED.description, scopes = EXCLUDED.scopes,
       allowed_tools = EXCLUDED.allowed_tools, version = EXCLUDED.version,
       updated_at = now(), updated_by = EXCLUDED.updated_by)sql";

constexpr char kDeleteRole[] =
    "DELETE FROM bastion_authz.roles WHERE tenant_id = $1 AND name = $2";

// $1 tenant, $2 subject, $3 credential kind, $4 token id, $5 action,
// $6 role name; the version is the one just bumped.
#define BASTION_AUDIT_INSERT                                              \
  "INSERT INTO bastion_authz.role_audit"                                  \
  " (tenant_id, actor_subject, actor_credential, actor_token_id, action," \
  "  role_name, policy_version, details)"                                 \
  " VALUES ($1, $2, $3, $4, $5, $6,"                                      \
  " (SELECT version FROM bastion_authz.tenant_policy WHERE tenant_id = $1),"

constexpr char kAuditPutRole[] = BASTION_AUDIT_INSERT
    " jsonb_build_object('description', $7::text, 'scopes', $8::text[],"
    " 'allowed_tools', $9::text[]))";
constexpr char kAuditDeleteRole[] = BASTION_AUDIT_INSERT " '{}'::jsonb)";
constexpr char kAuditToolPolicy[] = BASTION_AUDIT_INSERT
    " jsonb_build_object('requires_confirmation', $7::text[],"
    " 'requires_approval', $8::text[]))";

#undef BASTION_AUDIT_INSERT

pg::PrincipalScope ScopeOf(const common::v1::Principal& actor) {
  // Roles are tenant configuration: the policies match the tenant only.
  return pg::PrincipalScope{actor.tenant_id(), actor.subject(),
                            pg::AdminLevel::kNone};
}

std::string CredentialName(common::v1::CredentialKind kind) {
  switch (kind) {
    case common::v1::CREDENTIAL_KIND_JWT:
      return "jwt";
    case common::v1::CREDENTIAL_KIND_API_KEY:
      return "api_key";
    case common::v1::CREDENTIAL_KIND_SERVICE:
      return "service";
    default:
      return "unspecified";
  }
}

// The first six audit parameters.
std::vector<pg::Param> AuditParams(const common::v1::Principal& actor,
                                   const char* action,
                                   absl::string_view role_name) {
  return {actor.tenant_id(),
          actor.subject(),
          CredentialName(actor.credential_kind()),
          actor.token_id().substr(0, 256),
          std::string(action),
          std::string(role_name)};
}

// libpq values are std::string_view; this Abseil's string_view is its own.
absl::string_view AsAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

std::vector<std::string> SplitTokens(std::string_view joined) {
  return absl::StrSplit(AsAbsl(joined), ' ', absl::SkipEmpty());
}

absl::StatusOr<int64_t> ParseVersion(std::string_view text) {
  int64_t version = 0;
  if (!absl::SimpleAtoi(AsAbsl(text), &version)) {
    return absl::InternalError("malformed policy version in the database");
  }
  return version;
}

}  // namespace

std::string PgTextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

absl::StatusOr<int64_t> PgRoleStore::Version(
    const common::v1::Principal& actor) {
  ASSIGN_OR_RETURN(std::vector<pg::PgResult> results,
                   pg::RunAsPrincipal(*pool_, ScopeOf(actor),
                                      {{kVersion, {actor.tenant_id()}}}));
  if (results[0].rows() == 0) return 0;
  return ParseVersion(results[0].Get(0, 0));
}

absl::StatusOr<StoredPolicy> PgRoleStore::Load(
    const common::v1::Principal& actor) {
  ASSIGN_OR_RETURN(std::vector<pg::PgResult> results,
                   pg::RunAsPrincipal(*pool_, ScopeOf(actor),
                                      {{kLoad, {actor.tenant_id()}}}));
  const pg::PgResult& rows = results[0];
  StoredPolicy policy;
  if (rows.rows() == 0) return policy;
  ASSIGN_OR_RETURN(policy.version, ParseVersion(rows.Get(0, 0)));
  policy.tool_policy.requires_confirmation = SplitTokens(rows.Get(0, 1));
  policy.tool_policy.requires_approval = SplitTokens(rows.Get(0, 2));
  for (int i = 0; i < rows.rows(); ++i) {
    if (rows.IsNull(i, 3)) continue;  // A tenant without custom roles.
    StoredRole stored;
    stored.role.name = std::string(rows.Get(i, 3));
    stored.role.description = std::string(rows.Get(i, 4));
    stored.role.scopes = SplitTokens(rows.Get(i, 5));
    stored.role.allowed_tools = SplitTokens(rows.Get(i, 6));
    ASSIGN_OR_RETURN(stored.version, ParseVersion(rows.Get(i, 7)));
    policy.roles.push_back(std::move(stored));
  }
  return policy;
}

absl::StatusOr<int64_t> PgRoleStore::PutRole(const common::v1::Principal& actor,
                                             const Role& role) {
  std::vector<pg::Param> audit = AuditParams(actor, "put_role", role.name);
  audit.push_back(role.description);
  audit.push_back(PgTextArray(role.scopes));
  audit.push_back(PgTextArray(role.allowed_tools));
  ASSIGN_OR_RETURN(
      std::vector<pg::PgResult> results,
      pg::RunAsPrincipal(*pool_, ScopeOf(actor),
                         {{kBump, {actor.tenant_id(), actor.subject()}},
                          {kUpsertRole,
                           {actor.tenant_id(), role.name, role.description,
                            PgTextArray(role.scopes),
                            PgTextArray(role.allowed_tools), actor.subject()}},
                          {kAuditPutRole, std::move(audit)}}));
  return ParseVersion(results[0].Get(0, 0));
}

absl::StatusOr<int64_t> PgRoleStore::DeleteRole(
    const common::v1::Principal& actor, absl::string_view name) {
  ASSIGN_OR_RETURN(pg::PrincipalTransaction tx,
                   pg::PrincipalTransaction::Begin(*pool_, ScopeOf(actor)));
  ASSIGN_OR_RETURN(
      std::vector<pg::PgResult> deleted,
      tx.Run({{kDeleteRole, {actor.tenant_id(), std::string(name)}}}));
  if (deleted[0].affected_rows() == 0) {
    // Rolled back when `tx` goes out of scope: nothing changes.
    return absl::NotFoundError("role not found");
  }
  ASSIGN_OR_RETURN(
      std::vector<pg::PgResult> results,
      tx.RunAndCommit(
          {{kBump, {actor.tenant_id(), actor.subject()}},
           {kAuditDeleteRole, AuditParams(actor, "delete_role", name)}}));
  return ParseVersion(results[0].Get(0, 0));
}

absl::StatusOr<int64_t> PgRoleStore::PutToolPolicy(
    const common::v1::Principal& actor, const ToolPolicy& policy) {
  std::vector<pg::Param> audit = AuditParams(actor, "put_tool_policy", "");
  audit.push_back(PgTextArray(policy.requires_confirmation));
  audit.push_back(PgTextArray(policy.requires_approval));
  ASSIGN_OR_RETURN(
      std::vector<pg::PgResult> results,
      pg::RunAsPrincipal(*pool_, ScopeOf(actor),
                         {{kBumpWithToolPolicy,
                           {actor.tenant_id(), actor.subject(),
                            PgTextArray(policy.requires_confirmation),
                            PgTextArray(policy.requires_approval)}},
                          {kAuditToolPolicy, std::move(audit)}}));
  return ParseVersion(results[0].Get(0, 0));
}

}  // namespace bastion::authz
