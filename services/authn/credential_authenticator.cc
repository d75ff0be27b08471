#include "services/authn/credential_authenticator.h"

#include "common/assertion/local_authenticator.h"
#include "common/assertion/verifier.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "common/log/log.h"

namespace bastion::authn {
namespace {

absl::Status Rejected(absl::string_view why) {
  Log(LogLevel::kWarning, "credential_rejected", {{"reason", why}});
  return absl::UnauthenticatedError("invalid credentials");
}

common::v1::Principal ToPrincipal(const jwt::VerifiedToken& token) {
  common::v1::Principal principal;
  principal.set_tenant_id(token.tenant_id);
  principal.set_subject(token.subject);
  for (const std::string& scope : token.scopes) principal.add_scopes(scope);
  for (const std::string& role : token.roles) principal.add_roles(role);
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  principal.set_issuer(token.issuer);
  principal.set_token_id(token.token_id);
  // Inside its leeway a token still works, and no assertion or cache entry
  // made for it outlives the end of that leeway.
  principal.set_expires_at_unix(token.accepted_until_unix);
  return principal;
}

}  // namespace

CredentialAuthenticator::CredentialAuthenticator(
    std::unique_ptr<jwt::JwtVerifier> verifier,
    const assertion::AssertionSigner* signer, std::string assertion_audience,
    absl::Duration assertion_ttl, const Clock* clock,
    const ApiKeyManager* api_keys, absl::Duration api_key_assertion_ttl)
    : verifier_(std::move(verifier)),
      signer_(signer),
      assertion_audience_(std::move(assertion_audience)),
      assertion_ttl_(assertion_ttl),
      clock_(clock),
      api_keys_(api_keys),
      api_key_assertion_ttl_(std::min(api_key_assertion_ttl, assertion_ttl)) {}

absl::StatusOr<AuthenticatedCredential>
CredentialAuthenticator::AuthenticateCredential(
    absl::string_view credential) const {
  if (IsApiKeyCredential(credential)) {
    if (api_keys_ == nullptr) {
      // The same answer as for an unknown key.
      return Rejected("api key: API keys are not configured (no database_url)");
    }
    absl::StatusOr<common::v1::Principal> principal =
        api_keys_->Verify(credential);
    if (!principal.ok()) {
      if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
        return Rejected(principal.status().message());
      }
      Log(LogLevel::kError, "api_key_lookup_failed",
          {{"error", principal.status().message()}});
      return absl::UnavailableError("credential check unavailable");
    }
    return Sign(*std::move(principal), api_key_assertion_ttl_);
  }
  absl::StatusOr<jwt::VerifiedToken> token = verifier_->Verify(credential);
  if (!token.ok()) return Rejected(token.status().message());
  return Sign(ToPrincipal(*token), assertion_ttl_);
}

absl::StatusOr<AuthenticatedCredential> CredentialAuthenticator::Sign(
    common::v1::Principal principal, absl::Duration ttl) const {
  const absl::Time now =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock_->Now()));
  const absl::Time expires =
      std::min(now + ttl, absl::FromUnixSeconds(principal.expires_at_unix()));
  absl::StatusOr<std::string> signed_assertion =
      signer_->Sign(principal, {assertion_audience_}, now, expires);
  if (!signed_assertion.ok()) {
    // E.g. a credential whose acceptance ends within this second.
    return Rejected(signed_assertion.status().message());
  }
  return AuthenticatedCredential{
      Caller{std::move(principal), *std::move(signed_assertion)}, expires};
}

absl::StatusOr<Caller> CredentialAuthenticator::Authenticate(
    absl::string_view credential) {
  absl::StatusOr<AuthenticatedCredential> result =
      AuthenticateCredential(credential);
  if (!result.ok()) return result.status();
  return std::move(result->caller);
}

absl::StatusOr<std::unique_ptr<AssertionAuthenticator>> OwnAssertions(
    const assertion::AssertionSigner& signer, const std::string& audience) {
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> own_keys =
      assertion::KeySet::Create({signer.PublicKey()});
  if (!own_keys.ok()) return own_keys.status();
  return std::make_unique<assertion::LocalAssertionAuthenticator>(
      std::make_shared<const assertion::AssertionVerifier>(
          std::make_shared<assertion::StaticKeyProvider>(*std::move(own_keys)),
          SystemClock::Get(), audience));
}

}  // namespace bastion::authn
