// Assertion verifier; see verifier.h.
#include "common/assertion/verifier.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/assertion/assertion_limits.h"
#include "common/assertion/ed25519.h"

namespace bastion::assertion {
namespace {

using ::bastion::common::v1::AssertionClaims;
using ::bastion::common::v1::Principal;
using ::bastion::common::v1::SignedAssertion;

absl::Status Reject(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("assertion rejected: ", why));
}

absl::Status CheckPrincipal(const AssertionClaims& claims) {
  if (!claims.has_principal()) return Reject("no principal");
  if (absl::string_view why = PrincipalDefect(claims.principal());
      !why.empty()) {
    return Reject(why);
  }
  return absl::OkStatus();
}

}  // namespace

AssertionVerifier::AssertionVerifier(std::shared_ptr<KeyProvider> keys,
                                     const Clock* clock, std::string audience)
    : keys_(std::move(keys)), clock_(clock), audience_(std::move(audience)) {}

absl::StatusOr<Principal> AssertionVerifier::Verify(
    absl::string_view serialized_signed_assertion) const {
  absl::StatusOr<AssertionClaims> claims =
      VerifyPresentedBy(serialized_signed_assertion, /*calling_service=*/"");
  if (!claims.ok()) return claims.status();
  return std::move(*claims->mutable_principal());
}

absl::StatusOr<AssertionClaims> AssertionVerifier::VerifyPresentedBy(
    absl::string_view serialized_signed_assertion,
    absl::string_view calling_service) const {
  absl::StatusOr<AssertionClaims> claims =
      VerifyClaims(serialized_signed_assertion);
  if (!claims.ok()) return claims.status();
  // A delegation is worth nothing in anyone's hands but its holder's: the
  // holder must prove itself in the very call that presents it.
  if (claims->has_delegation() &&
      (calling_service.empty() ||
       claims->delegation().holder_service() != calling_service)) {
    return Reject("delegation not presented by its holder service");
  }
  return claims;
}

absl::StatusOr<AssertionClaims> AssertionVerifier::VerifyClaims(
    absl::string_view serialized) const {
  if (serialized.size() > kMaxAssertionBytes) {
    return Reject(absl::StrCat("larger than ", kMaxAssertionBytes, " bytes"));
  }
  if (std::optional<AssertionClaims> claims = Recall(serialized)) {
    absl::Status valid = CheckClaims(*claims, clock_->Now());
    if (!valid.ok()) return valid;
    return *std::move(claims);
  }
  SignedAssertion signed_assertion;
  if (!signed_assertion.ParseFromArray(serialized.data(),
                                       static_cast<int>(serialized.size()))) {
    return Reject("not a SignedAssertion");
  }
  if (signed_assertion.key_id().empty()) return Reject("no key id");
  if (signed_assertion.signature().size() != kSignatureBytes) {
    return Reject(absl::StrCat("signature is not ", kSignatureBytes, " bytes"));
  }
  if (keys_ == nullptr) {
    return absl::UnavailableError("assertion keys are unavailable");
  }
  absl::StatusOr<std::shared_ptr<const KeySet>> keys = keys_->Keys();
  if (keys.ok() && *keys != nullptr &&
      !(*keys)->Contains(signed_assertion.key_id())) {
    keys = keys_->KeysAfterMiss(signed_assertion.key_id());
  }
  if (!keys.ok() || *keys == nullptr) {
    // Could not decide: not a verdict on the assertion. The provider's own
    // error text stays out of the caller's answer.
    return absl::UnavailableError("assertion keys are unavailable");
  }
  if (!(*keys)->Contains(signed_assertion.key_id())) {
    return Reject("unknown key id");
  }
  if (!(*keys)->VerifySignature(
          signed_assertion.key_id(),
          internal::SigningInput(signed_assertion.claims()),
          signed_assertion.signature())) {
    return Reject("signature does not verify");
  }
  AssertionClaims claims;
  if (!claims.ParseFromString(signed_assertion.claims())) {
    return Reject("claims do not parse");
  }
  if (clock_ == nullptr) return absl::UnavailableError("no clock");
  const absl::Time now = clock_->Now();
  absl::Status valid = CheckClaims(claims, now);
  if (!valid.ok()) return valid;
  Remember(serialized, *keys, claims, now);
  return claims;
}

absl::Status AssertionVerifier::CheckClaims(const AssertionClaims& claims,
                                            absl::Time now) const {
  const absl::Time issued_at = absl::FromUnixSeconds(claims.issued_at_unix());
  const absl::Time expires_at = absl::FromUnixSeconds(claims.expires_at_unix());
  if (expires_at <= now) return Reject("expired");
  if (issued_at > now + kMaxClockSkew) return Reject("issued in the future");
  if (expires_at <= issued_at) return Reject("expires before it is issued");
  // absl::Time arithmetic saturates, so extreme values cannot overflow.
  if (expires_at - issued_at > kMaxLifetime) {
    return Reject("lifetime exceeds 15 minutes");
  }
  const std::int64_t credential_expiry = claims.principal().expires_at_unix();
  if (credential_expiry != 0 &&
      claims.expires_at_unix() > credential_expiry) {
    return Reject("outlives the principal's credential");
  }
  if (audience_.empty() ||
      std::find(claims.audiences().begin(), claims.audiences().end(),
                audience_) == claims.audiences().end()) {
    return Reject("audience not listed");
  }
  absl::Status principal = CheckPrincipal(claims);
  if (!principal.ok()) return principal;
  if (claims.has_delegation()) {
    if (absl::string_view why = DelegationDefect(claims.delegation());
        !why.empty()) {
      return Reject(why);
    }
  }
  return absl::OkStatus();
}

std::optional<AssertionClaims> AssertionVerifier::Recall(
    absl::string_view serialized) const {
  std::weak_ptr<const KeySet> verified_by;
  std::optional<AssertionClaims> claims;
  {
    absl::MutexLock lock(&mutex_);
    auto it = verified_.find(serialized);
    if (it == verified_.end()) return std::nullopt;
    verified_by = it->second.keys;
    claims = it->second.claims;
  }
  absl::StatusOr<std::shared_ptr<const KeySet>> keys = keys_->Keys();
  if (clock_ != nullptr && keys.ok() && *keys != nullptr &&
      verified_by.lock() == *keys) {
    return claims;
  }
  // The keys changed since (or cannot be had): checked again in full.
  absl::MutexLock lock(&mutex_);
  verified_.erase(std::string(serialized));
  return std::nullopt;
}

void AssertionVerifier::Remember(absl::string_view serialized,
                                 const std::shared_ptr<const KeySet>& keys,
                                 const AssertionClaims& claims,
                                 absl::Time now) const {
  absl::MutexLock lock(&mutex_);
  if (verified_.size() >= kVerifiedCapacity) {
    // Expired ones go first; if none has, all go (bounded; a miss only
    // costs a signature check).
    absl::erase_if(verified_, [now](const auto& entry) {
      return entry.second.expires <= now;
    });
    if (verified_.size() >= kVerifiedCapacity) verified_.clear();
  }
  verified_.insert_or_assign(
      std::string(serialized),
      Verified{keys, claims, absl::FromUnixSeconds(claims.expires_at_unix())});
}

std::size_t AssertionVerifier::remembered() const {
  absl::MutexLock lock(&mutex_);
  return verified_.size();
}

}  // namespace bastion::assertion
