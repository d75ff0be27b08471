// authn's own Authenticator: verifies a bearer credential locally and signs
// the principal assertion that other services accept.
#ifndef BASTION_SERVICES_AUTHN_CREDENTIAL_AUTHENTICATOR_H_
#define BASTION_SERVICES_AUTHN_CREDENTIAL_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/assertion/signer.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"
#include "services/authn/api_key_manager.h"
#include "services/authn/api_key_secret.h"
#include "services/authn/jwt/jwt_verifier.h"

namespace bastion::authn {

struct AuthenticatedCredential {
  Caller caller;
  absl::Time assertion_expires;
};

// Thread-safe: the verifier and signer are; nothing else is mutable.
class CredentialAuthenticator final : public Authenticator {
 public:
  // `api_keys` may be null (no database configured): every API key is then
  // rejected like an unknown one. Assertions for API keys live at most
  // `api_key_assertion_ttl`, which bounds how long an assertion obtained
  // before a revocation can still be presented.
  CredentialAuthenticator(
      std::unique_ptr<jwt::JwtVerifier> verifier,
      const assertion::AssertionSigner* signer, std::string assertion_audience,
      absl::Duration assertion_ttl, const Clock* clock,
      const ApiKeyManager* api_keys = nullptr,
      absl::Duration api_key_assertion_ttl = absl::Seconds(60));

  // UNAUTHENTICATED with a generic message for every bad credential (JWT or
  // API key: unknown, expired and revoked keys answer identically); the
  // precise reason is logged here. UNAVAILABLE when the API key store
  // cannot answer.
  absl::StatusOr<AuthenticatedCredential> AuthenticateCredential(
      absl::string_view credential) const;

  // Authenticator, for authn's own guard.
  absl::StatusOr<Caller> Authenticate(absl::string_view credential) override;

  const std::string& assertion_audience() const { return assertion_audience_; }

 private:
  std::unique_ptr<jwt::JwtVerifier> verifier_;
  const assertion::AssertionSigner* signer_;
  const std::string assertion_audience_;
  const absl::Duration assertion_ttl_;
  const Clock* clock_;
  const ApiKeyManager* api_keys_;
  const absl::Duration api_key_assertion_ttl_;

  absl::StatusOr<AuthenticatedCredential> Sign(common::v1::Principal principal,
                                               absl::Duration ttl) const;
};

// Verifies authn's own assertions (calls it receives from other services
// on a user's behalf) with its own signing key.
absl::StatusOr<std::unique_ptr<AssertionAuthenticator>> OwnAssertions(
    const assertion::AssertionSigner& signer, const std::string& audience);

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_CREDENTIAL_AUTHENTICATOR_H_
