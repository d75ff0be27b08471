#include "services/authn/storage/pg_api_key_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/pg/principal_transaction.h"
#include "common/status/status_macros.h"

namespace bastion::authn::storage {
namespace {

using ::bastion::pg::PgResult;

// A timestamptz column as epoch microseconds, and back.
#define AUTHN_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"
#define AUTHN_TS(param) \
  "(timestamptz 'epoch' + " param "::bigint * interval '1 microsecond')"

#define KEY_COLUMNS \
  "tenant_id, user_id, key_id, name,"                                    \
  " array_to_string(scopes, ' ') AS scopes, display_prefix,"             \
  " rate_limit_per_second, " AUTHN_MICROS("created_at") " AS created_us," \
  " " AUTHN_MICROS("expires_at") " AS expires_us,"                       \
  " " AUTHN_MICROS("revoked_at") " AS revoked_us,"                       \
  " " AUTHN_MICROS("previous_expires_at") " AS previous_expires_us"

// $1 tenant, $2 user, $3 id, $4 name, $5 scopes (space-separated),
// $6 hash (hex), $7 display prefix, $8 rate limit, $9 created, $10 expires.
constexpr char kInsert[] =
    "INSERT INTO bastion_authn.api_keys (tenant_id, user_id, key_id, name,"
    " scopes, secret_hash, display_prefix, rate_limit_per_second, created_at,"
    " expires_at)"
    " VALUES ($1, $2, $3, $4, string_to_array($5, ' '), decode($6, 'hex'),"
    " $7, $8::int, " AUTHN_TS("$9") ", " AUTHN_TS("$10") ")"
    " RETURNING " KEY_COLUMNS;

// $1 tenant, $2 user, $3 include inactive, $4 now, $5 cursor micros,
// $6 cursor id, $7 limit.
constexpr char kList[] =
    "SELECT " KEY_COLUMNS " FROM bastion_authn.api_keys"
    " WHERE tenant_id = $1 AND user_id = $2"
    " AND ($3::boolean OR (revoked_at IS NULL"
    "      AND expires_at > " AUTHN_TS("$4") "))"
    " AND ($5::bigint IS NULL"
    "      OR (created_at, key_id) < (" AUTHN_TS("$5") ", $6::text))"
    " ORDER BY created_at DESC, key_id DESC LIMIT $7::int";

// $1 tenant, $2 user, $3 id, $4 now.
constexpr char kRevoke[] =
    "UPDATE bastion_authn.api_keys"
    " SET revoked_at = coalesce(revoked_at, " AUTHN_TS("$4") ")"
    " WHERE tenant_id = $1 AND user_id = $2 AND key_id = $3"
    " RETURNING " KEY_COLUMNS;

// $1 tenant, $2 user, $3 id, $4 new hash (hex), $5 new display prefix,
// $6 old secret's end of grace, $7 now. SET reads the row's old values.
constexpr char kRotate[] =
    "UPDATE bastion_authn.api_keys"
    " SET previous_secret_hash = secret_hash,"
    " previous_expires_at = least(" AUTHN_TS("$6") ", expires_at),"
    " secret_hash = decode($4, 'hex'), display_prefix = $5"
    " WHERE tenant_id = $1 AND user_id = $2 AND key_id = $3"
    " AND revoked_at IS NULL AND expires_at > " AUTHN_TS("$7")
    " RETURNING " KEY_COLUMNS;

// Why a rotation found nothing: $1 tenant, $2 user, $3 id.
constexpr char kState[] =
    "SELECT revoked_at IS NOT NULL AS revoked FROM bastion_authn.api_keys"
    " WHERE tenant_id = $1 AND user_id = $2 AND key_id = $3";

// $1 hash (hex).
constexpr char kFind[] =
    "SELECT tenant_id, user_id, key_id, scopes,"
    " encode(matched_hash, 'hex') AS matched_hash, previous, expires_us,"
    " previous_expires_us, revoked, rate_limit_per_second"
    " FROM bastion_authn.find_api_key(decode($1, 'hex'))";

// PgResult hands out std::string_view; this Abseil's string_view differs.
absl::string_view View(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Micros(absl::Time t) {
  return std::to_string(absl::ToUnixMicros(t));
}

absl::Time TimeAt(const PgResult& r, int row, const char* column) {
  int64_t micros = 0;
  (void)absl::SimpleAtoi(View(r.Get(row, column)), &micros);
  return absl::FromUnixMicros(micros);
}

std::optional<absl::Time> OptionalTimeAt(const PgResult& r, int row,
                                         const char* column) {
  if (r.IsNull(row, column)) return std::nullopt;
  return TimeAt(r, row, column);
}

std::vector<std::string> Scopes(std::string_view text) {
  return absl::StrSplit(View(text), ' ', absl::SkipEmpty());
}

ApiKeyRecord ToRecord(const PgResult& r, int row) {
  ApiKeyRecord k;
  k.tenant_id = std::string(r.Get(row, "tenant_id"));
  k.user_id = std::string(r.Get(row, "user_id"));
  k.key_id = std::string(r.Get(row, "key_id"));
  k.name = std::string(r.Get(row, "name"));
  k.scopes = Scopes(r.Get(row, "scopes"));
  k.display_prefix = std::string(r.Get(row, "display_prefix"));
  int32_t limit = 0;
  (void)absl::SimpleAtoi(View(r.Get(row, "rate_limit_per_second")), &limit);
  k.rate_limit_per_second = limit;
  k.created_at = TimeAt(r, row, "created_us");
  k.expires_at = TimeAt(r, row, "expires_us");
  k.revoked_at = OptionalTimeAt(r, row, "revoked_us");
  k.previous_secret_expires_at = OptionalTimeAt(r, row, "previous_expires_us");
  return k;
}

pg::PrincipalScope ScopeOf(const ApiKeyOwner& owner) {
  return pg::PrincipalScope{owner.tenant_id, owner.user_id,
                            pg::AdminLevel::kNone};
}

absl::Status NotFound() { return absl::NotFoundError("API key not found"); }

}  // namespace

absl::StatusOr<ApiKeyRecord> PgApiKeyStore::Insert(const ApiKeyOwner& owner,
                                                   const NewApiKey& key) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(owner),
          {{kInsert,
            {owner.tenant_id, owner.user_id, key.key_id, key.name,
             absl::StrJoin(key.scopes, " "),
             absl::BytesToHexString(key.secret_hash), key.display_prefix,
             std::to_string(key.rate_limit_per_second), Micros(key.created_at),
             Micros(key.expires_at)}}}));
  return ToRecord(results[0], 0);
}

absl::StatusOr<std::vector<ApiKeyRecord>> PgApiKeyStore::List(
    const ApiKeyOwner& owner, const ApiKeyListQuery& query) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(owner),
          {{kList,
            {owner.tenant_id, owner.user_id,
             query.include_inactive ? "true" : "false", Micros(query.now),
             query.after ? pg::Param(Micros(query.after->created_at))
                         : std::nullopt,
             query.after ? pg::Param(query.after->key_id) : std::nullopt,
             std::to_string(query.limit)}}}));
  std::vector<ApiKeyRecord> keys;
  for (int i = 0; i < results[0].rows(); ++i) {
    keys.push_back(ToRecord(results[0], i));
  }
  return keys;
}

absl::StatusOr<ApiKeyRecord> PgApiKeyStore::Revoke(const ApiKeyOwner& owner,
                                                   const std::string& key_id,
                                                   absl::Time now) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(owner),
          {{kRevoke, {owner.tenant_id, owner.user_id, key_id, Micros(now)}}}));
  if (results[0].rows() != 1) return NotFound();
  return ToRecord(results[0], 0);
}

absl::StatusOr<ApiKeyRecord> PgApiKeyStore::Rotate(
    const ApiKeyOwner& owner, const std::string& key_id,
    const std::string& new_secret_hash, const std::string& new_display_prefix,
    absl::Time now, absl::Time previous_expires_at) {
  ASSIGN_OR_RETURN(
      std::vector<PgResult> results,
      pg::RunAsPrincipal(
          pool_, ScopeOf(owner),
          {{kRotate,
            {owner.tenant_id, owner.user_id, key_id,
             absl::BytesToHexString(new_secret_hash), new_display_prefix,
             Micros(previous_expires_at), Micros(now)}},
           {kState, {owner.tenant_id, owner.user_id, key_id}}}));
  if (results[0].rows() == 1) return ToRecord(results[0], 0);
  if (results[1].rows() != 1) return NotFound();
  if (results[1].Get(0, "revoked") == "t") {
    return absl::FailedPreconditionError("API key is revoked");
  }
  return absl::FailedPreconditionError("API key has expired");
}

absl::StatusOr<std::optional<ApiKeyMatch>> PgApiKeyStore::FindBySecretHash(
    const std::string& secret_hash) {
  ASSIGN_OR_RETURN(pg::PgLease lease, pool_.Acquire());
  ASSIGN_OR_RETURN(
      PgResult r,
      lease->Execute({kFind, {absl::BytesToHexString(secret_hash)}}));
  if (r.rows() == 0) return std::optional<ApiKeyMatch>();
  ApiKeyMatch m;
  m.tenant_id = std::string(r.Get(0, "tenant_id"));
  m.user_id = std::string(r.Get(0, "user_id"));
  m.key_id = std::string(r.Get(0, "key_id"));
  m.scopes = Scopes(r.Get(0, "scopes"));
  m.matched_hash = absl::HexStringToBytes(View(r.Get(0, "matched_hash")));
  m.previous_secret = r.Get(0, "previous") == "t";
  m.expires_at = TimeAt(r, 0, "expires_us");
  m.previous_secret_expires_at = OptionalTimeAt(r, 0, "previous_expires_us");
  m.revoked = r.Get(0, "revoked") == "t";
  (void)absl::SimpleAtoi(View(r.Get(0, "rate_limit_per_second")),
                         &m.rate_limit_per_second);
  return std::optional<ApiKeyMatch>(std::move(m));
}

}  // namespace bastion::authn::storage
