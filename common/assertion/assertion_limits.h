// The fixed rules every principal assertion obeys, shared by the signer
// (which refuses to make an assertion the verifier would reject) and the
// verifier.
#ifndef BASTION_COMMON_ASSERTION_ASSERTION_LIMITS_H_
#define BASTION_COMMON_ASSERTION_ASSERTION_LIMITS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bastion/common/v1/common.pb.h"

namespace bastion::assertion {

// Largest serialized SignedAssertion accepted (bytes).
inline constexpr std::size_t kMaxAssertionBytes = 16 * 1024;
// Longest allowed expires_at - issued_at.
inline constexpr absl::Duration kMaxLifetime = absl::Minutes(15);
// How far in the future issued_at may lie (clock skew between replicas).
inline constexpr absl::Duration kMaxClockSkew = absl::Seconds(30);
// Ed25519 sizes.
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
// AssertionKey.algorithm for Ed25519, the only one defined.
inline constexpr absl::string_view kAlgorithm = "EdDSA";
// Domain separation: the signature covers kSignatureContext || 0x00 ||
// claims, so an assertion signature can never be replayed as (or made from)
// a signature over some other kind of message.
inline constexpr absl::string_view kSignatureContext = "bastion.assertion.v1";

// Why `principal` cannot be carried by an assertion, or "" when it can: it
// needs a tenant, a subject and a valid credential kind.
inline absl::string_view PrincipalDefect(
    const common::v1::Principal& principal) {
  if (principal.tenant_id().empty()) return "principal has no tenant_id";
  if (principal.subject().empty()) return "principal has no subject";
  if (principal.credential_kind() ==
          common::v1::CREDENTIAL_KIND_UNSPECIFIED ||
      !common::v1::CredentialKind_IsValid(principal.credential_kind())) {
    return "principal has no valid credential_kind";
  }
  return "";
}

// Why `delegation` cannot be carried by a delegation, or "" when it can: it
// needs its id, its run and its holder service.
inline absl::string_view DelegationDefect(
    const common::v1::DelegationClaims& delegation) {
  if (delegation.delegation_id().empty()) return "delegation has no id";
  if (delegation.run_id().empty()) return "delegation has no run_id";
  if (delegation.holder_service().empty()) {
    return "delegation has no holder_service";
  }
  return "";
}

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_ASSERTION_LIMITS_H_
