// Machine-checkable rejection reasons for JWT verification. Every token
// rejection is absl::StatusCode::kUnauthenticated whose message starts with
// "jwt:<reason name>: " and which carries the reason as a status payload, so
// the service can log the precise cause, return a generic text to the caller,
// and tests can assert the specific defence that fired.
#ifndef BASTION_SERVICES_AUTHN_JWT_REASON_H_
#define BASTION_SERVICES_AUTHN_JWT_REASON_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace bastion::authn::jwt {

enum class Reason {
  kNone = 0,  // Not a token rejection (OK or a non-JWT status).
  // Structure.
  kTokenTooLarge,
  kTokenEmpty,
  kJwe,           // 5 segments or a JWE-only header ("enc", "zip").
  kSegmentCount,  // Not exactly 3 segments.
  kEmptySegment,
  kBadBase64,      // Alphabet, padding, trailing bits, whitespace.
  kMalformedJson,  // Not RFC 8259 JSON, or limits exceeded.
  kNotJsonObject,  // Header or payload is valid JSON but not an object.
  kDuplicateKey,   // Duplicate member name in header or claims.
  // Header.
  kAlgMissing,
  kAlgNotString,
  kAlgNone,
  kAlgUnsupported,
  kAlgNotAllowedForKey,
  kCritUnsupported,
  kEmbeddedKey,  // jwk, jku, x5u, x5c (never trusted or fetched).
  kBadKid,
  kTypMismatch,
  kNestedJwt,  // cty: JWT.
  kBadHeader,  // Other malformed header parameter.
  // Key selection and signature.
  kUnknownKid,
  kNoDefaultKey,
  kNoKeys,
  kBadSignatureLength,
  kBadEcdsaScalar,  // r or s is 0 or >= n.
  kBadSignature,
  // Claims.
  kExpMissing,
  kBadTimeClaim,  // exp/nbf/iat not a non-negative JSON integer <= 2^53.
  kExpired,
  kNotYetValid,
  kIssuedInFuture,
  kLifetimeTooLong,
  kIssMissing,
  kIssNotAllowed,
  kAudMissing,
  kBadAud,  // Wrong type, empty string or empty array.
  kAudNotAllowed,
  kSubMissing,
  kBadSub,  // Not a string or empty.
  kReservedSub,
  kBadTenant,
  kMissingTenant,
  kBadScopes,
  kBadRoles,
  kBadJti,
};

// Stable name, e.g. "alg_none". Used in the message prefix and payload.
absl::string_view ReasonName(Reason reason);

// UNAUTHENTICATED status "jwt:<name>: <detail>" carrying `reason`.
absl::Status Reject(Reason reason, absl::string_view detail);

// The reason carried by `status`, or kNone.
Reason ReasonOf(const absl::Status& status);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_REASON_H_
