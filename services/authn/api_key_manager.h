// API keys as a domain: issuing (scopes never above the creator's, bounded
// lifetime), listing, revoking and rotating a principal's own keys, and
// turning a presented secret into the principal it stands for.
#ifndef BASTION_SERVICES_AUTHN_API_KEY_MANAGER_H_
#define BASTION_SERVICES_AUTHN_API_KEY_MANAGER_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.pb.h"
#include "bastion/common/v1/common.pb.h"
#include "common/clock/clock.h"
#include "services/authn/storage/api_key_store.h"

namespace bastion::authn {

// Issuer named in the principal of an API key.
inline constexpr char kApiKeyIssuer[] = "bastion-authn";

// Lifetimes (the proto documents the same numbers).
inline constexpr absl::Duration kDefaultApiKeyTtl = absl::Hours(24 * 90);
inline constexpr absl::Duration kMaxApiKeyTtl = absl::Hours(24 * 365);
inline constexpr absl::Duration kDefaultRotationGrace = absl::Hours(24);
inline constexpr absl::Duration kMaxRotationGrace = absl::Hours(24 * 7);
inline constexpr int kMaxApiKeyScopes = 100;
inline constexpr int kMaxApiKeyRateLimit = 1000000;
inline constexpr int kDefaultApiKeyPageSize = 20;
inline constexpr int kMaxApiKeyPageSize = 1000;

// The verified caller of a key API: the owner of every key it touches.
// Management RPCs never take the owner from the request.
//
// Thread-safe: the store and the clock are; nothing else is mutable.
class ApiKeyManager {
 public:
  // `store` and `clock` must outlive the manager.
  ApiKeyManager(storage::ApiKeyStore* store, const Clock* clock);

  // INVALID_ARGUMENT for a bad name, scope text, ttl (negative, over one
  // year) or rate limit; PERMISSION_DENIED naming the first requested scope
  // the caller does not hold (exact match against the principal's scopes),
  // and for a caller that is itself an API key (a key cannot mint or rotate
  // keys, so it cannot outlive or outgrow itself).
  absl::StatusOr<v1::CreateApiKeyResponse> Create(
      const common::v1::Principal& caller,
      const v1::CreateApiKeyRequest& request) const;

  // The caller's keys, newest first, `page.limit` (default 20, max 1000) at
  // a time; INVALID_ARGUMENT for a bad limit or cursor.
  absl::StatusOr<v1::ListApiKeysResponse> List(
      const common::v1::Principal& caller,
      const v1::ListApiKeysRequest& request) const;

  // NOT_FOUND for a key that is not the caller's (or does not exist).
  // Revoking twice keeps the first revocation time.
  absl::StatusOr<v1::RevokeApiKeyResponse> Revoke(
      const common::v1::Principal& caller,
      const v1::RevokeApiKeyRequest& request) const;

  // A new secret; the old one keeps working for the grace period (default
  // 24 h, at most 7 days, never past the key's expiry), and an older one
  // from a previous rotation stops at once. NOT_FOUND as for Revoke;
  // FAILED_PRECONDITION for a revoked or expired key; PERMISSION_DENIED for
  // an API-key caller.
  absl::StatusOr<v1::RotateApiKeyResponse> Rotate(
      const common::v1::Principal& caller,
      const v1::RotateApiKeyRequest& request) const;

  // The principal of a presented secret: the owner's tenant and subject,
  // the key's scopes, credential_kind API_KEY, token_id = key id,
  // expires_at = the key's expiry (or the old secret's end of grace),
  // rate_limit_per_second = the key's own limit (enforced by every guard).
  // UNAUTHENTICATED whose message is the precise reason (malformed, unknown,
  // revoked, expired, grace over) — callers must log it and answer
  // generically; UNAVAILABLE when the store cannot answer. Never cached:
  // every call asks the store, so a revocation is seen by the next call.
  absl::StatusOr<common::v1::Principal> Verify(absl::string_view secret) const;

 private:
  storage::ApiKeyStore* store_;
  const Clock* clock_;
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_API_KEY_MANAGER_H_
