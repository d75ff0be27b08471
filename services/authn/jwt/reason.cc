// Reason names and the status encoding of token rejections.
#include "services/authn/jwt/reason.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace bastion::authn::jwt {
namespace {

constexpr absl::string_view kPayloadUrl = "type.bastion.dev/authn.jwt.Reason";

struct NamedReason {
  Reason reason;
  absl::string_view name;
};

constexpr NamedReason kNames[] = {
    {Reason::kNone, "none"},
    {Reason::kTokenTooLarge, "token_too_large"},
    {Reason::kTokenEmpty, "token_empty"},
    {Reason::kJwe, "jwe"},
    {Reason::kSegmentCount, "segment_count"},
    {Reason::kEmptySegment, "empty_segment"},
    {Reason::kBadBase64, "bad_base64"},
    {Reason::kMalformedJson, "malformed_json"},
    {Reason::kNotJsonObject, "not_json_object"},
    {Reason::kDuplicateKey, "duplicate_key"},
    {Reason::kAlgMissing, "alg_missing"},
    {Reason::kAlgNotString, "alg_not_string"},
    {Reason::kAlgNone, "alg_none"},
    {Reason::kAlgUnsupported, "alg_unsupported"},
    {Reason::kAlgNotAllowedForKey, "alg_not_allowed_for_key"},
    {Reason::kCritUnsupported, "crit_unsupported"},
    {Reason::kEmbeddedKey, "embedded_key"},
    {Reason::kBadKid, "bad_kid"},
    {Reason::kTypMismatch, "typ_mismatch"},
    {Reason::kNestedJwt, "nested_jwt"},
    {Reason::kBadHeader, "bad_header"},
    {Reason::kUnknownKid, "unknown_kid"},
    {Reason::kNoDefaultKey, "no_default_key"},
    {Reason::kNoKeys, "no_keys"},
    {Reason::kBadSignatureLength, "bad_signature_length"},
    {Reason::kBadEcdsaScalar, "bad_ecdsa_scalar"},
    {Reason::kBadSignature, "bad_signature"},
    {Reason::kExpMissing, "exp_missing"},
    {Reason::kBadTimeClaim, "bad_time_claim"},
    {Reason::kExpired, "expired"},
    {Reason::kNotYetValid, "not_yet_valid"},
    {Reason::kIssuedInFuture, "issued_in_future"},
    {Reason::kLifetimeTooLong, "lifetime_too_long"},
    {Reason::kIssMissing, "iss_missing"},
    {Reason::kIssNotAllowed, "iss_not_allowed"},
    {Reason::kAudMissing, "aud_missing"},
    {Reason::kBadAud, "bad_aud"},
    {Reason::kAudNotAllowed, "aud_not_allowed"},
    {Reason::kSubMissing, "sub_missing"},
    {Reason::kBadSub, "bad_sub"},
    {Reason::kReservedSub, "reserved_sub"},
    {Reason::kBadTenant, "bad_tenant"},
    {Reason::kMissingTenant, "missing_tenant"},
    {Reason::kBadScopes, "bad_scopes"},
    {Reason::kBadRoles, "bad_roles"},
    {Reason::kBadJti, "bad_jti"},
};

}  // namespace

absl::string_view ReasonName(Reason reason) {
  for (const NamedReason& n : kNames) {
    if (n.reason == reason) return n.name;
  }
  return "unknown";
}

absl::Status Reject(Reason reason, absl::string_view detail) {
  absl::Status status(absl::StatusCode::kUnauthenticated,
                      absl::StrCat("jwt:", ReasonName(reason), ": ", detail));
  status.SetPayload(kPayloadUrl, absl::Cord(ReasonName(reason)));
  return status;
}

Reason ReasonOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnauthenticated) return Reason::kNone;
  const auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return Reason::kNone;
  const std::string name(*payload);
  for (const NamedReason& n : kNames) {
    if (n.name == name) return n.reason;
  }
  return Reason::kNone;
}

}  // namespace bastion::authn::jwt
