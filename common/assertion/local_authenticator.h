// The AssertionAuthenticator seam of common/auth (caller.h), implemented by
// verifying locally with an AssertionVerifier: what every service but authn
// plugs into its call guard.
#ifndef BASTION_COMMON_ASSERTION_LOCAL_AUTHENTICATOR_H_
#define BASTION_COMMON_ASSERTION_LOCAL_AUTHENTICATOR_H_

#include <memory>
#include <utility>

#include "common/assertion/verifier.h"
#include "common/auth/caller.h"

namespace bastion::assertion {

// Thread-safe (as AssertionVerifier).
class LocalAssertionAuthenticator final : public AssertionAuthenticator {
 public:
  explicit LocalAssertionAuthenticator(
      std::shared_ptr<const AssertionVerifier> verifier)
      : verifier_(std::move(verifier)) {}

  absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) override {
    return verifier_->Verify(assertion);
  }

  absl::StatusOr<VerifiedAssertion> VerifyPresentedBy(
      absl::string_view assertion,
      absl::string_view calling_service) override {
    return Verified(verifier_->VerifyPresentedBy(assertion, calling_service));
  }

  absl::StatusOr<VerifiedAssertion> VerifyRelayed(
      absl::string_view assertion) override {
    return Verified(verifier_->VerifyClaims(assertion));
  }

 private:
  static absl::StatusOr<VerifiedAssertion> Verified(
      absl::StatusOr<common::v1::AssertionClaims> claims) {
    if (!claims.ok()) return claims.status();
    return VerifiedAssertion{std::move(*claims->mutable_principal()),
                             claims->delegation().delegation_id(),
                             claims->delegation().run_id()};
  }

  const std::shared_ptr<const AssertionVerifier> verifier_;
};

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_LOCAL_AUTHENTICATOR_H_
