// Token verification pipeline; see jwt_verifier.h. Cheap, attacker-facing
// checks run first: size, structure, base64url, header JSON and header rules,
// key selection (an unknown kid costs no crypto; the key source may learn
// the kid once, see KeySource::RefreshForUnknownKid), then the signature,
// and only then is the payload parsed and the claims checked.
#include "services/authn/jwt/jwt_verifier.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/authn/jwt/base64url.h"
#include "services/authn/jwt/json.h"
#include "services/authn/jwt/reason.h"
#include "services/authn/jwt/signature.h"

namespace bastion::authn::jwt {
namespace {

absl::Status JsonReject(absl::string_view what, const JsonError& error) {
  const Reason reason = error.kind == JsonErrorKind::kDuplicateKey
                            ? Reason::kDuplicateKey
                            : Reason::kMalformedJson;
  return Reject(reason, absl::StrCat(what, ": ", JsonErrorKindName(error.kind),
                                     " at byte ", error.offset));
}

// True if `text` has the shape of a compact JWS/JWE: 3 or 5 base64url
// segments, the first starting like a JSON object ("eyJ" = '{"').
bool LooksLikeCompactJwt(absl::string_view text) {
  if (text.size() < 5 || text.substr(0, 3) != "eyJ") return false;
  int dots = 0;
  for (char c : text) {
    if (c == '.') {
      ++dots;
    } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return false;
    }
  }
  return dots == 2 || dots == 4;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    JwtVerifierOptions options, std::shared_ptr<KeySource> keys,
    const Clock* clock, std::shared_ptr<VerifiedTokenCache> cache) {
  if (keys == nullptr) return absl::InvalidArgumentError("null key source");
  if (clock == nullptr) return absl::InvalidArgumentError("null clock");
  if (options.max_token_bytes < 16 || options.max_token_bytes > 1 << 20) {
    return absl::InvalidArgumentError("max_token_bytes must be in [16, 1 MiB]");
  }
  if (options.max_json_depth < 2 || options.max_json_depth > 64) {
    return absl::InvalidArgumentError("max_json_depth must be in [2, 64]");
  }
  absl::Status st = ValidateClaimsPolicy(options.claims);
  if (!st.ok()) return st;
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(
      std::move(options), std::move(keys), clock, std::move(cache)));
}

absl::StatusOr<VerifiedToken> JwtVerifier::Verify(
    absl::string_view token) const {
  if (token.empty()) return Reject(Reason::kTokenEmpty, "empty token");
  if (token.size() > options_.max_token_bytes) {
    return Reject(Reason::kTokenTooLarge,
                  absl::StrCat("token of ", token.size(), " bytes"));
  }
  std::shared_ptr<const KeySet> keys = keys_->Current();
  if (keys == nullptr) return Reject(Reason::kNoKeys, "no key set");
  absl::Time now = clock_->Now();
  TokenDigest digest;
  const bool cacheable = cache_ != nullptr && DigestToken(token, &digest);
  if (cacheable) {
    std::optional<VerifiedToken> hit =
        cache_->Lookup(digest, now, keys->generation());
    if (hit.has_value()) return *std::move(hit);
  }
  absl::StatusOr<VerifiedToken> result = VerifyUncached(token, *keys, now);
  if (ReasonOf(result.status()) == Reason::kUnknownKid) {
    // The source decides whether to refetch (rate limited, bounded wait);
    // only a newer set is worth a second attempt.
    std::shared_ptr<const KeySet> newer =
        keys_->RefreshForUnknownKid(keys->generation());
    if (newer != nullptr) {
      keys = std::move(newer);
      now = clock_->Now();
      result = VerifyUncached(token, *keys, now);
    }
  }
  if (cacheable && result.ok()) {
    cache_->Insert(digest, *result, keys->generation());
  }
  return result;
}

absl::StatusOr<VerifiedToken> JwtVerifier::VerifyUncached(
    absl::string_view token, const KeySet& keys, absl::Time now) const {
  // Structure: exactly three non-empty segments.
  size_t dots[4];
  int ndots = 0;
  for (size_t i = 0; i < token.size() && ndots < 4; ++i) {
    if (token[i] == '.') dots[ndots++] = i;
  }
  if (ndots == 4) {
    size_t more = 0;
    for (size_t i = dots[3] + 1; i < token.size(); ++i) more += token[i] == '.';
    if (more == 0) return Reject(Reason::kJwe, "5 segments (JWE)");
  }
  if (ndots != 2) {
    return Reject(Reason::kSegmentCount,
                  ndots == 4 ? std::string("6+ segments, want 3")
                             : absl::StrCat(ndots + 1, " segments, want 3"));
  }
  const absl::string_view header_b64 = token.substr(0, dots[0]);
  const absl::string_view payload_b64 =
      token.substr(dots[0] + 1, dots[1] - dots[0] - 1);
  const absl::string_view signature_b64 = token.substr(dots[1] + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty()) {
    return Reject(Reason::kEmptySegment, "empty segment");
  }
  std::string header_json, payload_json, signature;
  if (!Base64UrlDecode(header_b64, &header_json)) {
    return Reject(Reason::kBadBase64, "header is not strict base64url");
  }
  if (!Base64UrlDecode(payload_b64, &payload_json)) {
    return Reject(Reason::kBadBase64, "payload is not strict base64url");
  }
  if (!Base64UrlDecode(signature_b64, &signature)) {
    return Reject(Reason::kBadBase64, "signature is not strict base64url");
  }

  // Header.
  const JsonLimits limits{options_.max_json_depth};
  JsonError json_error;
  std::optional<JsonValue> header = ParseJson(header_json, &json_error, limits);
  if (!header.has_value()) return JsonReject("header", json_error);
  absl::StatusOr<JoseHeader> jose = CheckJoseHeader(*header, options_.header);
  if (!jose.ok()) return jose.status();

  // Key selection: no crypto for an unknown kid.
  const VerificationKey* key = nullptr;
  if (jose->has_kid) {
    key = keys.FindByKid(jose->kid);
    if (key == nullptr) return Reject(Reason::kUnknownKid, "unknown kid");
    if (!key->Allows(jose->alg)) {
      return Reject(Reason::kAlgNotAllowedForKey,
                    absl::StrCat(AlgorithmName(jose->alg),
                                 " not allowed for kid ", jose->kid));
    }
  } else {
    if (keys.default_keys().empty()) {
      return Reject(Reason::kNoDefaultKey, "no kid and no default key");
    }
  }

  // Signature.
  const absl::string_view signing_input = token.substr(0, dots[1]);
  absl::Status sig_status;
  if (key != nullptr) {
    signature_verifications_.fetch_add(1, std::memory_order_relaxed);
    sig_status = VerifyJwsSignature(*key, jose->alg, signing_input, signature);
  } else {
    // Kid-less token: each default key that allows this alg, in load order.
    sig_status = Reject(Reason::kAlgNotAllowedForKey,
                        absl::StrCat(AlgorithmName(jose->alg),
                                     " not allowed for any default key"));
    for (const VerificationKey* candidate : keys.default_keys()) {
      if (!candidate->Allows(jose->alg)) continue;
      signature_verifications_.fetch_add(1, std::memory_order_relaxed);
      sig_status =
          VerifyJwsSignature(*candidate, jose->alg, signing_input, signature);
      if (sig_status.ok()) break;
    }
  }
  if (!sig_status.ok()) return sig_status;

  // Payload and claims (only for authentic tokens).
  std::optional<JsonValue> payload =
      ParseJson(payload_json, &json_error, limits);
  if (!payload.has_value()) {
    if (LooksLikeCompactJwt(payload_json)) {
      return Reject(Reason::kNestedJwt, "payload is a JWT");
    }
    return JsonReject("payload", json_error);
  }
  if (payload->is_string() && LooksLikeCompactJwt(payload->string_value())) {
    return Reject(Reason::kNestedJwt, "payload is a JSON string holding a JWT");
  }
  VerifiedToken out;
  absl::Status claims = ValidateClaims(*payload, options_.claims, now, &out);
  if (!claims.ok()) return claims;
  out.algorithm = std::string(AlgorithmName(jose->alg));
  out.key_id = std::move(jose->kid);
  return out;
}

}  // namespace bastion::authn::jwt
