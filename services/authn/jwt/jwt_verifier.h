// JWS compact-serialization JWT verification: the composition of strict
// structure checks, base64url, strict JSON, header rules, key selection,
// signature verification and claims validation into one call.
//
//   auto verifier = JwtVerifier::Create(options, key_source, clock, cache);
//   absl::StatusOr<VerifiedToken> t = (*verifier)->Verify(bearer_token);
//
// Every rejection is UNAUTHENTICATED with a Reason (reason.h) in the status;
// log the message, return a generic text to the caller.
#ifndef BASTION_SERVICES_AUTHN_JWT_JWT_VERIFIER_H_
#define BASTION_SERVICES_AUTHN_JWT_JWT_VERIFIER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock/clock.h"
#include "services/authn/jwt/claims.h"
#include "services/authn/jwt/header.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/token_cache.h"
#include "services/authn/jwt/verified_token.h"

namespace bastion::authn::jwt {

struct JwtVerifierOptions {
  size_t max_token_bytes = 8 * 1024;
  int max_json_depth = 16;
  HeaderPolicy header;  // e.g. header.required_typ = "at+jwt".
  ClaimsPolicy claims;
};

// Thread-safe: Verify() may be called concurrently; the verifier holds no
// mutable state except an atomic counter (and the internally locked cache).
class JwtVerifier {
 public:
  // INVALID_ARGUMENT for an unusable configuration. `clock` must outlive
  // the verifier; `cache` may be null (no caching).
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      JwtVerifierOptions options, std::shared_ptr<KeySource> keys,
      const Clock* clock, std::shared_ptr<VerifiedTokenCache> cache = nullptr);

  // Verifies a compact JWS (without the "Bearer " prefix).
  absl::StatusOr<VerifiedToken> Verify(absl::string_view token) const;

  // Number of signature verifications attempted (cache hits do none).
  uint64_t signature_verifications() const {
    return signature_verifications_.load(std::memory_order_relaxed);
  }

 private:
  JwtVerifier(JwtVerifierOptions options, std::shared_ptr<KeySource> keys,
              const Clock* clock, std::shared_ptr<VerifiedTokenCache> cache)
      : options_(std::move(options)),
        keys_(std::move(keys)),
        clock_(clock),
        cache_(std::move(cache)) {}

  absl::StatusOr<VerifiedToken> VerifyUncached(absl::string_view token,
                                               const KeySet& keys,
                                               absl::Time now) const;

  const JwtVerifierOptions options_;
  const std::shared_ptr<KeySource> keys_;
  const Clock* const clock_;
  const std::shared_ptr<VerifiedTokenCache> cache_;
  mutable std::atomic<uint64_t> signature_verifications_{0};
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_JWT_VERIFIER_H_
