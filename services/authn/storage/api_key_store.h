// Storage seam for API keys: authn's key manager calls this; the PostgreSQL
// implementation serves deployments, and a test or another deployment may
// substitute its own.
#ifndef BASTION_SERVICES_AUTHN_STORAGE_API_KEY_STORE_H_
#define BASTION_SERVICES_AUTHN_STORAGE_API_KEY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bastion::authn::storage {

// Whose keys a call reaches: always the verified principal, never a value
// from a request.
struct ApiKeyOwner {
  std::string tenant_id;
  std::string user_id;
};

// One stored key as its owner sees it. Never carries a secret or a hash.
struct ApiKeyRecord {
  std::string tenant_id;
  std::string user_id;
  std::string key_id;
  std::string name;
  std::vector<std::string> scopes;
  std::string display_prefix;
  int32_t rate_limit_per_second = 0;
  absl::Time created_at;
  absl::Time expires_at;
  std::optional<absl::Time> revoked_at;
  // When the secret replaced by the last rotation stops working.
  std::optional<absl::Time> previous_secret_expires_at;
};

// A key to insert. Times are kept to whole microseconds.
struct NewApiKey {
  std::string key_id;
  std::string name;
  std::vector<std::string> scopes;
  std::string secret_hash;  // 32 raw bytes
  std::string display_prefix;
  int32_t rate_limit_per_second = 0;
  absl::Time created_at;
  absl::Time expires_at;
};

// The key a secret hash belongs to, found before any principal is known.
struct ApiKeyMatch {
  std::string tenant_id;
  std::string user_id;
  std::string key_id;
  std::vector<std::string> scopes;
  // The stored hash that matched (32 raw bytes), for a constant-time
  // comparison by the caller.
  std::string matched_hash;
  // True when the hash is the secret replaced by the last rotation.
  bool previous_secret = false;
  absl::Time expires_at;
  // Set when previous_secret: the end of its grace period.
  std::optional<absl::Time> previous_secret_expires_at;
  bool revoked = false;
  // The key's own request rate limit; 0 = the tenant's.
  int32_t rate_limit_per_second = 0;
};

// A position in the newest-first listing.
struct ApiKeyCursor {
  absl::Time created_at;
  std::string key_id;
};

struct ApiKeyListQuery {
  // Rows to return at most.
  int limit = 20;
  // Start after this key (exclusive); none for the first page.
  std::optional<ApiKeyCursor> after;
  // Include revoked keys and keys expired at `now`.
  bool include_inactive = false;
  absl::Time now;
};

// Every method except FindBySecretHash acts for `owner` only: another
// owner's key is NOT_FOUND, exactly like a missing one. UNAVAILABLE when the
// database cannot be reached. Implementations are thread-safe.
class ApiKeyStore {
 public:
  virtual ~ApiKeyStore() = default;

  // ALREADY_EXISTS if the id or the hash is taken (never in practice).
  virtual absl::StatusOr<ApiKeyRecord> Insert(const ApiKeyOwner& owner,
                                              const NewApiKey& key) = 0;

  // The owner's keys, newest first (created_at, then key_id, descending).
  virtual absl::StatusOr<std::vector<ApiKeyRecord>> List(
      const ApiKeyOwner& owner, const ApiKeyListQuery& query) = 0;

  // Sets revoked_at to `now` unless already revoked (then unchanged).
  virtual absl::StatusOr<ApiKeyRecord> Revoke(const ApiKeyOwner& owner,
                                              const std::string& key_id,
                                              absl::Time now) = 0;

  // Replaces the secret: the current hash becomes the previous one, valid
  // until `previous_expires_at` (an earlier previous secret stops at once).
  // FAILED_PRECONDITION when the key is revoked or expired at `now`.
  virtual absl::StatusOr<ApiKeyRecord> Rotate(
      const ApiKeyOwner& owner, const std::string& key_id,
      const std::string& new_secret_hash, const std::string& new_display_prefix,
      absl::Time now, absl::Time previous_expires_at) = 0;

  // The key whose current or previous secret has this SHA-256, whatever its
  // state (revoked, expired): the caller decides. nullopt when none.
  virtual absl::StatusOr<std::optional<ApiKeyMatch>> FindBySecretHash(
      const std::string& secret_hash) = 0;
};

}  // namespace bastion::authn::storage

#endif  // BASTION_SERVICES_AUTHN_STORAGE_API_KEY_STORE_H_
