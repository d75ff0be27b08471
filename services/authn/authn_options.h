// Turns authn's configuration into verifier options, applying the documented
// defaults and refusing values that would weaken verification.
#ifndef BASTION_SERVICES_AUTHN_AUTHN_OPTIONS_H_
#define BASTION_SERVICES_AUTHN_AUTHN_OPTIONS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn_config.pb.h"
#include "services/authn/jwt/jwt_verifier.h"

namespace bastion::authn {

// INVALID_ARGUMENT naming the key for: no issuer, negative or huge leeway
// (> 300 s), a non-positive lifetime, a token size cap outside 1 KiB..8 KiB
// (kMaxCredentialBytes, the most any entry point accepts).
absl::StatusOr<jwt::JwtVerifierOptions> VerifierOptionsFrom(
    const v1::AuthnConfig& config);

// Assertion lifetime: default 300 s, at most 900 s (INVALID_ARGUMENT above).
absl::StatusOr<absl::Duration> AssertionTtlFrom(const v1::AuthnConfig& config);

// Assertion lifetime for API keys: default 60 s (or assertion_ttl if
// shorter), at most `assertion_ttl` (INVALID_ARGUMENT above or below 0).
absl::StatusOr<absl::Duration> ApiKeyAssertionTtlFrom(
    const v1::AuthnConfig& config, absl::Duration assertion_ttl);

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_AUTHN_OPTIONS_H_
