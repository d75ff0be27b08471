// Verifies principal assertions received from other services (every service
// but authn): signature by one of authn's keys, validity window, audience,
// and a complete principal.
#ifndef BASTION_COMMON_ASSERTION_VERIFIER_H_
#define BASTION_COMMON_ASSERTION_VERIFIER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/common/v1/common.pb.h"
#include "common/assertion/key_set.h"
#include "common/clock/clock.h"

namespace bastion::assertion {

// Checks a serialized SignedAssertion and returns the principal it carries.
// Thread-safe: Verify may be called concurrently (keys come from the
// KeyProvider, time from the Clock).
//
// The same assertion bytes arrive again and again (a service presents its
// own assertion on every call for minutes; a user's and a run's are
// forwarded on each of its calls), so the signature check, the costly part,
// is remembered: by the exact bytes, for assertions that passed every
// check, at most until their expiry, and only while the KeyProvider hands
// out the same key set (any change of keys, a rotation or a withdrawn key,
// checks every signature again). Every other check (expiry, audience,
// principal, delegation) runs on each call. At most kVerifiedCapacity
// assertions are remembered.
//
// Verify fails with:
//  - UNAUTHENTICATED, message naming the reason, when the assertion is
//    larger than 16 KiB, does not parse, names no or an unknown key id, has a
//    signature that is not exactly 64 bytes or does not verify, has claims
//    that do not parse, is expired (expires_at <= now), is issued more than
//    30 s in the future, expires before it is issued or lives longer than
//    15 minutes, outlives the principal's own credential, does not list the
//    expected audience, or carries a principal without tenant_id or subject
//    or with an unspecified/unknown credential_kind, or is a delegation not
//    presented by its holder service (see VerifyPresentedBy).
//  - UNAVAILABLE when the KeyProvider cannot supply keys (could not decide).
// The signature is checked before the claims are parsed.
class AssertionVerifier {
 public:
  static constexpr std::size_t kVerifiedCapacity = 4096;

  // `keys` must not be null; `clock` must not be null and must outlive the
  // verifier (SystemClock::Get() in production). `audience` is this
  // service's name as authn puts it in AssertionClaims.audiences; an empty
  // one rejects every assertion.
  AssertionVerifier(std::shared_ptr<KeyProvider> keys, const Clock* clock,
                    std::string audience);

  // A delegation (claims with DelegationClaims) is refused here
  // (UNAUTHENTICATED): only VerifyPresentedBy, which knows who presents it,
  // accepts one.
  absl::StatusOr<bastion::common::v1::Principal> Verify(
      absl::string_view serialized_signed_assertion) const;

  // Like Verify, but returns all claims (assertion_id, audiences and times,
  // for audit and for caching until expires_at) and accepts a delegation
  // only when `calling_service` (the subject of the service that proved
  // itself in the same call; empty when none did) is its holder_service.
  // Otherwise a delegation is UNAUTHENTICATED, as is one whose
  // DelegationClaims lack an id, run or holder.
  absl::StatusOr<bastion::common::v1::AssertionClaims> VerifyPresentedBy(
      absl::string_view serialized_signed_assertion,
      absl::string_view calling_service) const;

  // The checks of Verify and VerifyPresentedBy without any about who
  // presents a delegation: for authn, which issues them, for a service that
  // accepts delegations relayed by any trusted service (authz's Check,
  // caller.h VerifyRelayed), and for tests.
  absl::StatusOr<bastion::common::v1::AssertionClaims> VerifyClaims(
      absl::string_view serialized_signed_assertion) const;

  const std::string& audience() const { return audience_; }

  // How many verified assertions are remembered now (for tests).
  std::size_t remembered() const;

 private:
  struct Verified {
    // The key set that verified the signature.
    std::weak_ptr<const KeySet> keys;
    bastion::common::v1::AssertionClaims claims;
    absl::Time expires;
  };

  // Everything but the signature: times, audience, principal, delegation.
  absl::Status CheckClaims(const bastion::common::v1::AssertionClaims& claims,
                           absl::Time now) const;
  // The claims of `serialized` if it was verified under the key set the
  // KeyProvider hands out now.
  std::optional<bastion::common::v1::AssertionClaims> Recall(
      absl::string_view serialized) const;
  void Remember(absl::string_view serialized,
                const std::shared_ptr<const KeySet>& keys,
                const bastion::common::v1::AssertionClaims& claims,
                absl::Time now) const;

  const std::shared_ptr<KeyProvider> keys_;
  const Clock* const clock_;
  const std::string audience_;
  mutable absl::Mutex mutex_;
  mutable absl::flat_hash_map<std::string, Verified> verified_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_VERIFIER_H_
