// authn's own Authenticator: verifies a bearer credential locally and signs
// the principal assertion that other services accept.
#ifndef BASTION_SERVICES_AUTHN_CREDENTIAL_AUTHENTICATOR_H_
#define BASTION_SERVICES_AUTHN_CREDENTIAL_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/assertion/signer.h"
#include "common/auth/caller.h"
#include "services/authn/jwt/clock.h"
#include "services/authn/jwt/jwt_verifier.h"

namespace bastion::authn {

// API keys start with this prefix; they are not JWTs.
inline constexpr absl::string_view kApiKeyPrefix = "bst_";

struct AuthenticatedCredential {
  Caller caller;
  absl::Time assertion_expires;
};

// Thread-safe: the verifier and signer are; nothing else is mutable.
class CredentialAuthenticator final : public Authenticator {
 public:
  CredentialAuthenticator(std::unique_ptr<jwt::JwtVerifier> verifier,
                          const assertion::AssertionSigner* signer,
                          std::string assertion_audience,
                          absl::Duration assertion_ttl, const jwt::Clock* clock);

  // UNAUTHENTICATED with a generic message for every bad credential; the
  // precise reason is logged here.
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
  const jwt::Clock* clock_;
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_CREDENTIAL_AUTHENTICATOR_H_
