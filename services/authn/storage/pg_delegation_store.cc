#include "services/authn/storage/pg_delegation_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/pg/principal_transaction.h"
#include "common/status/status_macros.h"

namespace bastion::authn::storage {
namespace {

using ::bastion::pg::PgResult;

// Times travel as epoch microseconds.
#define DELEGATION_COLUMNS                                                \
    "tenant_id, user_id, delegation_id, run_id," \
    " array_to_string(scopes, ' ') AS scopes," \
    " array_to_string(roles, ' ') AS roles, credential_kind," \
    " credential_issuer, credential_id," \
    " (extract(epoch FROM credential_expires_at) * 1000000)::bigint" \
    "   AS credential_expires_us," \
    " rate_limit_per_second, holder_service," \
    " (extract(epoch FROM created_at) * 1000000)::bigint AS created_us," \
    " (extract(epoch FROM renewable_until) * 1000000)::bigint" \
    "   AS renewable_until_us," \
    " (extract(epoch FROM ended_at) * 1000000)::bigint AS ended_us," \
    " coalesce(end_reason, '') AS end_reason," \
    " coalesce(schedule_grant_id, '') AS schedule_grant_id"

// $1 tenant, $2 user, $3 id, $4 run, $5 scopes, $6 roles (space-separated),
// $7 kind, $8 issuer, $9 credential id, $10 credential expiry (micros or
// NULL), $11 rate limit, $12 holder, $13 created, $14 renewable until.
constexpr char kInsert[] =
    "INSERT INTO bastion_authn.delegations (tenant_id, user_id,"
    " delegation_id, run_id, scopes, roles, credential_kind,"
    " credential_issuer, credential_id, credential_expires_at,"
    " rate_limit_per_second, holder_service, created_at, renewable_until)"
    " VALUES ($1, $2, $3, $4, string_to_array($5, ' '),"
    " string_to_array($6, ' '), $7::smallint, $8, $9,"
    " timestamptz 'epoch' + $10::bigint * interval '1 microsecond',"
    " $11::int, $12,"
    " timestamptz 'epoch' + $13::bigint * interval '1 microsecond',"
    " timestamptz 'epoch' + $14::bigint * interval '1 microsecond')"
    " RETURNING " DELEGATION_COLUMNS;

// $1 id.
constexpr char kFind[] =
    "SELECT tenant_id, user_id, holder_service"
    " FROM bastion_authn.find_delegation($1)";

// The API key of an API-key delegation is live at $4 (as for a schedule
// grant's run delegation): the same test in the renewal and in the
// explanation of a refusal. $1 tenant, $2 user.
#define KEY_LIVE                                                          \
  "bastion_authn.api_key_live($1, $2, d.credential_id,"                   \
  " timestamptz 'epoch' + $4::bigint * interval '1 microsecond')"

// $1 tenant, $2 user, $3 id, $4 now.
constexpr char kRenew[] =
    "UPDATE bastion_authn.delegations d"
    " SET renewed_at = timestamptz 'epoch' + $4::bigint"
    "   * interval '1 microsecond'"
    " WHERE d.tenant_id = $1 AND d.user_id = $2 AND d.delegation_id = $3"
    " AND d.ended_at IS NULL"
    " AND d.renewable_until > timestamptz 'epoch' + $4::bigint"
    "   * interval '1 microsecond'"
    " AND (d.credential_kind <> 2 OR " KEY_LIVE ")"
    " RETURNING d.delegation_id";

// Why a renewal found nothing: $1 tenant, $2 user, $3 id, $4 now.
constexpr char kRenewState[] =
    "SELECT (d.credential_kind = 2 AND NOT " KEY_LIVE ") AS credential_dead,"
    " d.renewable_until <= timestamptz 'epoch' + $4::bigint"
    "   * interval '1 microsecond' AS past_maximum"
    " FROM bastion_authn.delegations d"
    " WHERE d.tenant_id = $1 AND d.user_id = $2 AND d.delegation_id = $3";

#undef KEY_LIVE

// $1 tenant, $2 user, $3 id, $4 now, $5 reason.
constexpr char kEnd[] =
    "UPDATE bastion_authn.delegations"
    " SET ended_at = coalesce(ended_at, timestamptz 'epoch' + $4::bigint"
    "   * interval '1 microsecond'),"
    " end_reason = coalesce(end_reason, $5)"
    " WHERE tenant_id = $1 AND user_id = $2 AND delegation_id = $3"
    " RETURNING " DELEGATION_COLUMNS;

// As kEnd for several ids of one owner: $3 the ids, space-separated.
constexpr char kEndMany[] =
    "UPDATE bastion_authn.delegations"
    " SET ended_at = coalesce(ended_at, timestamptz 'epoch' + $4::bigint"
    "   * interval '1 microsecond'),"
    " end_reason = coalesce(end_reason, $5)"
    " WHERE tenant_id = $1 AND user_id = $2"
    " AND delegation_id = ANY (string_to_array($3, ' '))"
    " RETURNING delegation_id";

// $1 tenant, $2 user, $3 id.
constexpr char kGet[] =
    "SELECT " DELEGATION_COLUMNS " FROM bastion_authn.delegations"
    " WHERE tenant_id = $1 AND user_id = $2 AND delegation_id = $3";

// $1 tenant, $2 user, $3 grant id, $4 schedule id, $5 scopes, $6 roles
// (space-separated), $7 kind, $8 issuer, $9 credential id, $10 credential
// expiry (micros or NULL), $11 rate limit, $12 holder, $13 created.
constexpr char kInsertScheduleGrant[] =
    "INSERT INTO bastion_authn.schedule_grants (tenant_id, user_id,"
    " grant_id, schedule_id, scopes, roles, credential_kind,"
    " credential_issuer, credential_id, credential_expires_at,"
    " rate_limit_per_second, holder_service, created_at)"
    " VALUES ($1, $2, $3, $4, string_to_array($5, ' '),"
    " string_to_array($6, ' '), $7::smallint, $8, $9,"
    " timestamptz 'epoch' + $10::bigint * interval '1 microsecond',"
    " $11::int, $12,"
    " timestamptz 'epoch' + $13::bigint * interval '1 microsecond')"
    " RETURNING tenant_id, user_id, grant_id, schedule_id,"
    " array_to_string(scopes, ' ') AS scopes,"
    " array_to_string(roles, ' ') AS roles, credential_kind,"
    " credential_issuer, credential_id,"
    " (extract(epoch FROM credential_expires_at) * 1000000)::bigint"
    "   AS credential_expires_us,"
    " rate_limit_per_second, holder_service,"
    " (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,"
    " (extract(epoch FROM ended_at) * 1000000)::bigint AS ended_us,"
    " coalesce(end_reason, '') AS end_reason";

// $1 id.
constexpr char kFindScheduleGrant[] =
    "SELECT tenant_id, user_id, holder_service"
    " FROM bastion_authn.find_schedule_grant($1)";

// A delegation copied from a live grant: not ended, and its API key (if
// any) live at $6, in the statement that writes. $1 tenant, $2 user,
// $3 grant id, $4 delegation id, $5 run id, $6 now, $7 renewable until.
constexpr char kIssue[] =
    "INSERT INTO bastion_authn.delegations (tenant_id, user_id,"
    " delegation_id, run_id, scopes, roles, credential_kind,"
    " credential_issuer, credential_id, credential_expires_at,"
    " rate_limit_per_second, holder_service, created_at, renewable_until,"
    " schedule_grant_id)"
    " SELECT g.tenant_id, g.user_id, $4, $5, g.scopes, g.roles,"
    " g.credential_kind, g.credential_issuer, g.credential_id,"
    " g.credential_expires_at, g.rate_limit_per_second, g.holder_service,"
    " timestamptz 'epoch' + $6::bigint * interval '1 microsecond',"
    " timestamptz 'epoch' + $7::bigint * interval '1 microsecond',"
    " g.grant_id"
    " FROM bastion_authn.schedule_grants g"
    " WHERE g.tenant_id = $1 AND g.user_id = $2 AND g.grant_id = $3"
    " AND g.ended_at IS NULL"
    " AND (g.credential_kind <> 2 OR bastion_authn.api_key_live($1, $2,"
    "   g.credential_id,"
    "   timestamptz 'epoch' + $6::bigint * interval '1 microsecond'))"
    " RETURNING " DELEGATION_COLUMNS;

// Why issuing found nothing: $1 tenant, $2 user, $3 grant id.
constexpr char kIssueState[] =
    "SELECT g.ended_at IS NOT NULL AS ended"
    " FROM bastion_authn.schedule_grants g"
    " WHERE g.tenant_id = $1 AND g.user_id = $2 AND g.grant_id = $3";

// $1 tenant, $2 user, $3 grant id, $4 now, $5 reason.
constexpr char kEndScheduleGrant[] =
    "UPDATE bastion_authn.schedule_grants"
    " SET ended_at = coalesce(ended_at, timestamptz 'epoch' + $4::bigint"
    "   * interval '1 microsecond'),"
    " end_reason = coalesce(end_reason, $5)"
    " WHERE tenant_id = $1 AND user_id = $2 AND grant_id = $3"
    " RETURNING tenant_id, user_id, grant_id, schedule_id,"
    " array_to_string(scopes, ' ') AS scopes,"
    " array_to_string(roles, ' ') AS roles, credential_kind,"
    " credential_issuer, credential_id,"
    " (extract(epoch FROM credential_expires_at) * 1000000)::bigint"
    "   AS credential_expires_us,"
    " rate_limit_per_second, holder_service,"
    " (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,"
    " (extract(epoch FROM ended_at) * 1000000)::bigint AS ended_us,"
    " coalesce(end_reason, '') AS end_reason";

// PgResult hands out std::string_view; this Abseil's string_view differs.
absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Micros(absl::Time t) {
  return std::to_string(absl::ToUnixMicros(t));
}

std::optional<absl::Time> OptionalTimeAt(const PgResult& r, int row,
                                         const char* column) {
  if (r.IsNull(row, column)) return std::nullopt;
  int64_t micros = 0;
  (void)absl::SimpleAtoi(View(r.Get(row, column)), &micros);
  return absl::FromUnixMicros(micros);
}

absl::Time TimeAt(const PgResult& r, int row, const char* column) {
  return OptionalTimeAt(r, row, column).value_or(absl::UnixEpoch());
}

std::vector<std::string> Words(std::string_view text) {
  return absl::StrSplit(View(text), ' ', absl::SkipEmpty());
}

DelegationRecord ToRecord(const PgResult& r, int row) {
  DelegationRecord d;
  d.tenant_id = std::string(r.Get(row, "tenant_id"));
  d.user_id = std::string(r.Get(row, "user_id"));
  d.delegation_id = std::string(r.Get(row, "delegation_id"));
  d.run_id = std::string(r.Get(row, "run_id"));
  d.scopes = Words(r.Get(row, "scopes"));
  d.roles = Words(r.Get(row, "roles"));
  (void)absl::SimpleAtoi(View(r.Get(row, "credential_kind")),
                         &d.credential_kind);
  d.credential_issuer = std::string(r.Get(row, "credential_issuer"));
  d.credential_id = std::string(r.Get(row, "credential_id"));
  d.credential_expires_at = OptionalTimeAt(r, row, "credential_expires_us");
  (void)absl::SimpleAtoi(View(r.Get(row, "rate_limit_per_second")),
                         &d.rate_limit_per_second);
  d.holder_service = std::string(r.Get(row, "holder_service"));
  d.created_at = TimeAt(r, row, "created_us");
  d.renewable_until = TimeAt(r, row, "renewable_until_us");
  d.ended_at = OptionalTimeAt(r, row, "ended_us");
  d.end_reason = std::string(r.Get(row, "end_reason"));
  d.schedule_grant_id = std::string(r.Get(row, "schedule_grant_id"));
  return d;
}

ScheduleGrantRecord ToScheduleGrant(const PgResult& r, int row) {
  ScheduleGrantRecord g;
  g.tenant_id = std::string(r.Get(row, "tenant_id"));
  g.user_id = std::string(r.Get(row, "user_id"));
  g.grant_id = std::string(r.Get(row, "grant_id"));
  g.schedule_id = std::string(r.Get(row, "schedule_id"));
  g.scopes = Words(r.Get(row, "scopes"));
  g.roles = Words(r.Get(row, "roles"));
  (void)absl::SimpleAtoi(View(r.Get(row, "credential_kind")),
                         &g.credential_kind);
  g.credential_issuer = std::string(r.Get(row, "credential_issuer"));
  g.credential_id = std::string(r.Get(row, "credential_id"));
  g.credential_expires_at = OptionalTimeAt(r, row, "credential_expires_us");
  (void)absl::SimpleAtoi(View(r.Get(row, "rate_limit_per_second")),
                         &g.rate_limit_per_second);
  g.holder_service = std::string(r.Get(row, "holder_service"));
  g.created_at = TimeAt(r, row, "created_us");
  g.ended_at = OptionalTimeAt(r, row, "ended_us");
  g.end_reason = std::string(r.Get(row, "end_reason"));
  return g;
}

pg::PrincipalScope ScopeOf(const std::string& tenant_id,
                           const std::string& user_id) {
  return pg::PrincipalScope{tenant_id, user_id, pg::AdminLevel::kNone};
}

// What NewId makes: "dlg_" and 32 lowercase hex digits.
bool IsDelegationId(absl::string_view id) {
  if (id.size() != 36 || !absl::StartsWith(id, "dlg_")) return false;
  for (char c : id.substr(4)) {
    if (!absl::ascii_isdigit(c) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

absl::Status NotFound() { return absl::NotFoundError("delegation not found"); }

absl::Status GrantNotFound() {
  return absl::NotFoundError("schedule grant not found");
}

absl::StatusOr<std::optional<DelegationOwner>> FindOwner(
    pg::PgPool& pool, const char* sql, const std::string& id) {
  ASSIGN_OR_RETURN(pg::PgLease lease, pool.Acquire());
  ASSIGN_OR_RETURN(PgResult r, lease->Execute({sql, {id}}));
  if (r.rows() == 0) return std::optional<DelegationOwner>();
  return std::optional<DelegationOwner>(DelegationOwner{
      std::string(r.Get(0, "tenant_id")), std::string(r.Get(0, "user_id")),
      std::string(r.Get(0, "holder_service"))});
}

}  // namespace

absl::StatusOr<DelegationRecord> PgDelegationStore::Insert(
    const DelegationRecord& d) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(d.tenant_id, d.user_id),
          {{kInsert,
            {d.tenant_id, d.user_id, d.delegation_id, d.run_id,
             absl::StrJoin(d.scopes, " "), absl::StrJoin(d.roles, " "),
             std::to_string(d.credential_kind), d.credential_issuer,
             d.credential_id,
             d.credential_expires_at
                 ? pg::Param(Micros(*d.credential_expires_at))
                 : std::nullopt,
             std::to_string(d.rate_limit_per_second), d.holder_service,
             Micros(d.created_at), Micros(d.renewable_until)}}}));
  return ToRecord(results[0], 0);
}

absl::StatusOr<std::optional<DelegationOwner>> PgDelegationStore::Find(
    const std::string& delegation_id) {
  return FindOwner(pool_, kFind, delegation_id);
}

absl::StatusOr<RenewResult> PgDelegationStore::Renew(
    const DelegationOwner& owner, const std::string& delegation_id,
    absl::Time now) {
  const std::vector<pg::Param> params = {owner.tenant_id, owner.user_id,
                                         delegation_id, Micros(now)};
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(pool_, ScopeOf(owner.tenant_id, owner.user_id),
                         {{kRenew, params},
                          {kRenewState, params},
                          {kGet,
                           {owner.tenant_id, owner.user_id, delegation_id}}}));
  if (results[2].rows() != 1) return NotFound();
  RenewResult result;
  result.record = ToRecord(results[2], 0);
  if (results[0].rows() == 1) {
    result.outcome = RenewOutcome::kRenewed;
  } else if (result.record.ended_at.has_value()) {
    result.outcome = RenewOutcome::kEnded;
  } else if (results[1].Get(0, "credential_dead") == "t") {
    result.outcome = RenewOutcome::kCredentialRevoked;
  } else {
    result.outcome = RenewOutcome::kPastMaximumLifetime;
  }
  return result;
}

absl::StatusOr<DelegationRecord> PgDelegationStore::End(
    const DelegationOwner& owner, const std::string& delegation_id,
    absl::Time now, const std::string& reason) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(pool_, ScopeOf(owner.tenant_id, owner.user_id),
                         {{kEnd,
                           {owner.tenant_id, owner.user_id, delegation_id,
                            Micros(now), reason}}}));
  if (results[0].rows() != 1) return NotFound();
  return ToRecord(results[0], 0);
}

absl::StatusOr<std::vector<std::string>> PgDelegationStore::EndMany(
    const std::vector<OwnedDelegations>& delegations, absl::Time now,
    const std::string& reason) {
  std::vector<pg::PrincipalWork> work;
  for (const OwnedDelegations& owned : delegations) {
    // Joined with spaces below: only well-formed ids (no other can exist),
    // so that no id can name others.
    std::vector<absl::string_view> ids;
    for (const std::string& id : owned.delegation_ids) {
      if (IsDelegationId(id)) ids.push_back(id);
    }
    if (ids.empty()) continue;
    const DelegationOwner& owner = owned.owner;
    work.push_back({ScopeOf(owner.tenant_id, owner.user_id),
                    {{kEndMany,
                      {owner.tenant_id, owner.user_id, absl::StrJoin(ids, " "),
                       Micros(now), reason}}}});
  }
  std::vector<std::string> ended;
  if (work.empty()) return ended;
  ASSIGN_OR_RETURN(std::vector<std::vector<PgResult>> results,
                   pg::RunAsPrincipals(pool_, std::move(work)));
  for (const std::vector<PgResult>& piece : results) {
    for (int row = 0; row < piece[0].rows(); ++row) {
      ended.emplace_back(piece[0].Get(row, "delegation_id"));
    }
  }
  return ended;
}

absl::StatusOr<ScheduleGrantRecord> PgDelegationStore::InsertScheduleGrant(
    const ScheduleGrantRecord& g) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(g.tenant_id, g.user_id),
          {{kInsertScheduleGrant,
            {g.tenant_id, g.user_id, g.grant_id, g.schedule_id,
             absl::StrJoin(g.scopes, " "), absl::StrJoin(g.roles, " "),
             std::to_string(g.credential_kind), g.credential_issuer,
             g.credential_id,
             g.credential_expires_at
                 ? pg::Param(Micros(*g.credential_expires_at))
                 : std::nullopt,
             std::to_string(g.rate_limit_per_second), g.holder_service,
             Micros(g.created_at)}}}));
  return ToScheduleGrant(results[0], 0);
}

absl::StatusOr<std::optional<DelegationOwner>>
PgDelegationStore::FindScheduleGrant(const std::string& grant_id) {
  return FindOwner(pool_, kFindScheduleGrant, grant_id);
}

absl::StatusOr<IssueResult> PgDelegationStore::IssueRunDelegation(
    const DelegationOwner& owner, const std::string& grant_id,
    const std::string& delegation_id, const std::string& run_id,
    absl::Time now, absl::Time renewable_until) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(owner.tenant_id, owner.user_id),
          {{kIssue,
            {owner.tenant_id, owner.user_id, grant_id, delegation_id, run_id,
             Micros(now), Micros(renewable_until)}},
           {kIssueState, {owner.tenant_id, owner.user_id, grant_id}}}));
  if (results[1].rows() != 1) return GrantNotFound();
  IssueResult result;
  if (results[0].rows() == 1) {
    result.outcome = IssueOutcome::kIssued;
    result.delegation = ToRecord(results[0], 0);
  } else if (results[1].Get(0, "ended") == "t") {
    result.outcome = IssueOutcome::kEnded;
  } else {
    // Live grants always issue; one not ended was refused for its key.
    result.outcome = IssueOutcome::kCredentialRevoked;
  }
  return result;
}

absl::StatusOr<ScheduleGrantRecord> PgDelegationStore::EndScheduleGrant(
    const DelegationOwner& owner, const std::string& grant_id, absl::Time now,
    const std::string& reason) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(pool_, ScopeOf(owner.tenant_id, owner.user_id),
                         {{kEndScheduleGrant,
                           {owner.tenant_id, owner.user_id, grant_id,
                            Micros(now), reason}}}));
  if (results[0].rows() != 1) return GrantNotFound();
  return ToScheduleGrant(results[0], 0);
}

}  // namespace bastion::authn::storage
