#include "services/authn/api_key_manager.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "services/authn/api_key_secret.h"

namespace bastion::authn {
namespace {

using ::bastion::common::v1::Principal;
using storage::ApiKeyOwner;
using storage::ApiKeyRecord;

constexpr size_t kMaxScopeBytes = 256;
constexpr char kCursorTag[] = "ak1|";

// Whole microseconds: what the store keeps, so cursors and times round-trip.
absl::Time Now(const Clock* clock) {
  return absl::FromUnixMicros(absl::ToUnixMicros(clock->Now()));
}

absl::StatusOr<ApiKeyOwner> OwnerOf(const Principal& caller) {
  if (caller.tenant_id().empty() || caller.subject().empty()) {
    return absl::UnauthenticatedError("principal without tenant or subject");
  }
  return ApiKeyOwner{caller.tenant_id(), caller.subject()};
}

absl::Status RefuseKeyCaller(const Principal& caller, absl::string_view what) {
  if (caller.credential_kind() == common::v1::CREDENTIAL_KIND_API_KEY) {
    return absl::PermissionDeniedError(absl::StrCat(
        "an API key cannot ", what, " API keys; use a user token"));
  }
  return absl::OkStatus();
}

absl::Status CheckName(const std::string& name) {
  size_t chars = 0;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("name: control characters");
    }
    if ((c & 0xC0) != 0x80) ++chars;
  }
  if (chars < 1 || chars > 100) {
    return absl::InvalidArgumentError("name: must have 1 to 100 characters");
  }
  return absl::OkStatus();
}

// Printable ASCII without whitespace, 1..256 bytes (the scope grammar's
// alphabet; the store keeps scopes space-separated).
bool PlausibleScope(const std::string& scope) {
  if (scope.empty() || scope.size() > kMaxScopeBytes) return false;
  for (unsigned char c : scope) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The requested scopes, deduplicated in order. Each must be held by the
// caller verbatim: authn does not derive narrower scopes from wider ones
// (that grammar is authz's), so a key never gets anything its creator's
// credential did not literally carry.
absl::StatusOr<std::vector<std::string>> GrantableScopes(
    const Principal& caller, const v1::CreateApiKeyRequest& request) {
  if (request.scopes().empty()) {
    return absl::InvalidArgumentError("scopes: at least one is required");
  }
  if (request.scopes_size() > kMaxApiKeyScopes) {
    return absl::InvalidArgumentError(
        absl::StrCat("scopes: at most ", kMaxApiKeyScopes));
  }
  const absl::flat_hash_set<std::string> held(caller.scopes().begin(),
                                              caller.scopes().end());
  absl::flat_hash_set<std::string> seen;
  std::vector<std::string> out;
  for (const std::string& scope : request.scopes()) {
    if (!PlausibleScope(scope)) {
      return absl::InvalidArgumentError(
          "scopes: each must be 1 to 256 printable ASCII characters without "
          "spaces");
    }
    if (!held.contains(scope)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "scope \"", absl::CEscape(scope), "\" is not held by the caller"));
    }
    if (seen.insert(scope).second) out.push_back(scope);
  }
  return out;
}

v1::ApiKey ToProto(const ApiKeyRecord& record) {
  v1::ApiKey key;
  key.set_key_id(record.key_id);
  key.set_name(record.name);
  key.set_tenant_id(record.tenant_id);
  key.set_owner_subject(record.user_id);
  for (const std::string& scope : record.scopes) key.add_scopes(scope);
  key.set_created_at_unix(absl::ToUnixSeconds(record.created_at));
  key.set_expires_at_unix(absl::ToUnixSeconds(record.expires_at));
  if (record.revoked_at) {
    key.set_revoked_at_unix(absl::ToUnixSeconds(*record.revoked_at));
  }
  key.set_display_prefix(record.display_prefix);
  key.set_rate_limit_per_second(record.rate_limit_per_second);
  return key;
}

std::string EncodeCursor(const ApiKeyRecord& last) {
  return absl::WebSafeBase64Escape(absl::StrCat(
      kCursorTag, absl::ToUnixMicros(last.created_at), "|", last.key_id));
}

absl::StatusOr<std::optional<storage::ApiKeyCursor>> DecodeCursor(
    const std::string& text) {
  if (text.empty()) return std::optional<storage::ApiKeyCursor>();
  const absl::Status bad = absl::InvalidArgumentError("invalid page.cursor");
  std::string raw;
  if (text.size() > 256 || !absl::WebSafeBase64Unescape(text, &raw) ||
      raw.rfind(kCursorTag, 0) != 0) {
    return bad;
  }
  std::vector<std::string> parts =
      absl::StrSplit(raw.substr(sizeof(kCursorTag) - 1), '|');
  int64_t micros = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) ||
      !IsWellFormedApiKeyId(parts[1])) {
    return bad;
  }
  return std::optional<storage::ApiKeyCursor>(
      storage::ApiKeyCursor{absl::FromUnixMicros(micros), parts[1]});
}

absl::Status CheckKeyId(const std::string& key_id) {
  if (!IsWellFormedApiKeyId(key_id)) {
    return absl::InvalidArgumentError("key_id: not an API key id");
  }
  return absl::OkStatus();
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(why);
}

}  // namespace

ApiKeyManager::ApiKeyManager(storage::ApiKeyStore* store,
                             const Clock* clock)
    : store_(store), clock_(clock) {}

absl::StatusOr<v1::CreateApiKeyResponse> ApiKeyManager::Create(
    const Principal& caller, const v1::CreateApiKeyRequest& request) const {
  ASSIGN_OR_RETURN(ApiKeyOwner owner, OwnerOf(caller));
  RETURN_IF_ERROR(RefuseKeyCaller(caller, "create"));
  RETURN_IF_ERROR(CheckName(request.name()));
  if (request.ttl_seconds() < 0 ||
      request.ttl_seconds() > absl::ToInt64Seconds(kMaxApiKeyTtl)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl_seconds: must be 0 (90 days) up to one year (",
                     absl::ToInt64Seconds(kMaxApiKeyTtl), ")"));
  }
  if (request.rate_limit_per_second() < 0 ||
      request.rate_limit_per_second() > kMaxApiKeyRateLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rate_limit_per_second: must be 0 to ", kMaxApiKeyRateLimit));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> scopes,
                   GrantableScopes(caller, request));
  ASSIGN_OR_RETURN(GeneratedApiKeySecret secret, GenerateApiKeySecret());
  ASSIGN_OR_RETURN(std::string key_id, GenerateApiKeyId());

  const absl::Time now = Now(clock_);
  storage::NewApiKey key;
  key.key_id = std::move(key_id);
  key.name = request.name();
  key.scopes = std::move(scopes);
  key.secret_hash = secret.hash;
  key.display_prefix = secret.display_prefix;
  key.rate_limit_per_second = request.rate_limit_per_second();
  key.created_at = now;
  key.expires_at =
      now + (request.ttl_seconds() == 0 ? kDefaultApiKeyTtl
                                        : absl::Seconds(request.ttl_seconds()));
  ASSIGN_OR_RETURN(ApiKeyRecord record, store_->Insert(owner, key));
  v1::CreateApiKeyResponse response;
  *response.mutable_key() = ToProto(record);
  response.set_secret(std::move(secret.secret));
  return response;
}

absl::StatusOr<v1::ListApiKeysResponse> ApiKeyManager::List(
    const Principal& caller, const v1::ListApiKeysRequest& request) const {
  ASSIGN_OR_RETURN(ApiKeyOwner owner, OwnerOf(caller));
  const int limit = request.page().limit();
  if (limit < 0 || limit > kMaxApiKeyPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.limit: must be 0 to ", kMaxApiKeyPageSize));
  }
  storage::ApiKeyListQuery query;
  query.limit = (limit == 0 ? kDefaultApiKeyPageSize : limit) + 1;
  ASSIGN_OR_RETURN(query.after, DecodeCursor(request.page().cursor()));
  query.include_inactive = request.include_inactive();
  query.now = Now(clock_);
  ASSIGN_OR_RETURN(std::vector<ApiKeyRecord> records,
                   store_->List(owner, query));
  v1::ListApiKeysResponse response;
  const size_t page = static_cast<size_t>(query.limit - 1);
  for (size_t i = 0; i < records.size() && i < page; ++i) {
    *response.add_keys() = ToProto(records[i]);
  }
  if (records.size() > page) {
    response.mutable_page()->set_next_cursor(EncodeCursor(records[page - 1]));
  }
  return response;
}

absl::StatusOr<v1::RevokeApiKeyResponse> ApiKeyManager::Revoke(
    const Principal& caller, const v1::RevokeApiKeyRequest& request) const {
  ASSIGN_OR_RETURN(ApiKeyOwner owner, OwnerOf(caller));
  RETURN_IF_ERROR(CheckKeyId(request.key_id()));
  ASSIGN_OR_RETURN(ApiKeyRecord record,
                   store_->Revoke(owner, request.key_id(), Now(clock_)));
  v1::RevokeApiKeyResponse response;
  *response.mutable_key() = ToProto(record);
  return response;
}

absl::StatusOr<v1::RotateApiKeyResponse> ApiKeyManager::Rotate(
    const Principal& caller, const v1::RotateApiKeyRequest& request) const {
  ASSIGN_OR_RETURN(ApiKeyOwner owner, OwnerOf(caller));
  RETURN_IF_ERROR(RefuseKeyCaller(caller, "rotate"));
  RETURN_IF_ERROR(CheckKeyId(request.key_id()));
  if (request.grace_seconds() < 0 ||
      request.grace_seconds() > absl::ToInt64Seconds(kMaxRotationGrace)) {
    return absl::InvalidArgumentError(
        absl::StrCat("grace_seconds: must be 0 (24 hours) up to 7 days (",
                     absl::ToInt64Seconds(kMaxRotationGrace), ")"));
  }
  const absl::Duration grace = request.grace_seconds() == 0
                                   ? kDefaultRotationGrace
                                   : absl::Seconds(request.grace_seconds());
  ASSIGN_OR_RETURN(GeneratedApiKeySecret secret, GenerateApiKeySecret());
  const absl::Time now = Now(clock_);
  ASSIGN_OR_RETURN(ApiKeyRecord record,
                   store_->Rotate(owner, request.key_id(), secret.hash,
                                  secret.display_prefix, now, now + grace));
  v1::RotateApiKeyResponse response;
  *response.mutable_key() = ToProto(record);
  response.set_secret(std::move(secret.secret));
  response.set_old_secret_expires_at_unix(absl::ToUnixSeconds(
      record.previous_secret_expires_at.value_or(now + grace)));
  return response;
}

absl::StatusOr<Principal> ApiKeyManager::Verify(
    absl::string_view secret) const {
  if (!IsWellFormedApiKeySecret(secret)) {
    return Unauthenticated("api key: malformed");
  }
  const std::string hash = ApiKeySecretHash(secret);
  absl::StatusOr<std::optional<storage::ApiKeyMatch>> found =
      store_->FindBySecretHash(hash);
  if (!found.ok()) {
    // Could not decide: fail closed, and not as "invalid credentials".
    return absl::UnavailableError("API key store unavailable");
  }
  // The index found the row by hash; the comparison that decides is ours,
  // in constant time.
  if (!found->has_value() || (*found)->matched_hash.size() != hash.size() ||
      CRYPTO_memcmp((*found)->matched_hash.data(), hash.data(), hash.size()) !=
          0) {
    return Unauthenticated("api key: unknown");
  }
  const storage::ApiKeyMatch& key = **found;
  if (key.revoked) {
    return Unauthenticated(absl::StrCat("api key: revoked (", key.key_id, ")"));
  }
  absl::Time valid_until = key.expires_at;
  if (key.previous_secret) {
    valid_until =
        std::min(valid_until,
                 key.previous_secret_expires_at.value_or(absl::InfinitePast()));
  }
  if (Now(clock_) >= valid_until) {
    return Unauthenticated(absl::StrCat(
        key.previous_secret ? "api key: rotated secret past its grace ("
                            : "api key: expired (",
        key.key_id, ")"));
  }
  Principal principal;
  principal.set_tenant_id(key.tenant_id);
  principal.set_subject(key.user_id);
  for (const std::string& scope : key.scopes) principal.add_scopes(scope);
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_API_KEY);
  principal.set_issuer(kApiKeyIssuer);
  principal.set_token_id(key.key_id);
  principal.set_expires_at_unix(absl::ToUnixSeconds(valid_until));
  principal.set_rate_limit_per_second(key.rate_limit_per_second);
  return principal;
}

}  // namespace bastion::authn
