#include "services/authn/storage/pg_delegation_store.h"

#include <string>
#include <utility>
#include <vector>

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
    " coalesce(end_reason, '') AS end_reason"

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

// The API key of an API-key delegation is live at $4: the same test in the
// renewal and in the explanation of a refusal. $1 tenant, $2 user.
#define KEY_LIVE                                                          \
  "EXISTS (SELECT 1 FROM bastion_authn.api_keys k"                        \
  " WHERE k.tenant_id = $1 AND k.user_id = $2"                            \
  " AND k.key_id = d.credential_id AND k.revoked_at IS NULL"              \
  " AND k.expires_at > timestamptz 'epoch' + $4::bigint"                  \
  "   * interval '1 microsecond')"

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

// $1 tenant, $2 user, $3 id.
constexpr char kGet[] =
    "SELECT " DELEGATION_COLUMNS " FROM bastion_authn.delegations"
    " WHERE tenant_id = $1 AND user_id = $2 AND delegation_id = $3";

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
  return d;
}

pg::PrincipalScope ScopeOf(const std::string& tenant_id,
                           const std::string& user_id) {
  return pg::PrincipalScope{tenant_id, user_id, pg::AdminLevel::kNone};
}

absl::Status NotFound() { return absl::NotFoundError("delegation not found"); }

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
  ASSIGN_OR_RETURN(pg::PgLease lease, pool_.Acquire());
  ASSIGN_OR_RETURN(PgResult r, lease->Execute({kFind, {delegation_id}}));
  if (r.rows() == 0) return std::optional<DelegationOwner>();
  return std::optional<DelegationOwner>(DelegationOwner{
      std::string(r.Get(0, "tenant_id")), std::string(r.Get(0, "user_id")),
      std::string(r.Get(0, "holder_service"))});
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

}  // namespace bastion::authn::storage
