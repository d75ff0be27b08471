// JOSE header checks; see header.h.
#include "services/authn/jwt/header.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/authn/jwt/reason.h"

namespace bastion::authn::jwt {

absl::StatusOr<JoseHeader> CheckJoseHeader(const JsonValue& header,
                                           const HeaderPolicy& policy) {
  if (!header.is_object()) {
    return Reject(Reason::kNotJsonObject, "header is not a JSON object");
  }
  // JWE-only parameters: this is an encrypted token, not a JWS.
  if (header.Find("enc") != nullptr || header.Find("zip") != nullptr) {
    return Reject(Reason::kJwe, "header has JWE parameter enc/zip");
  }
  JoseHeader out;
  const JsonValue* alg = header.Find("alg");
  if (alg == nullptr) return Reject(Reason::kAlgMissing, "no alg");
  if (!alg->is_string())
    return Reject(Reason::kAlgNotString, "alg not a string");
  const std::string& name = alg->string_value();
  if (name.empty()) return Reject(Reason::kAlgMissing, "empty alg");
  if (absl::EqualsIgnoreCase(name, "none")) {
    return Reject(Reason::kAlgNone, "unsecured JWS (alg none)");
  }
  std::optional<Algorithm> parsed = AlgorithmFromName(name);
  if (!parsed.has_value()) {
    return Reject(Reason::kAlgUnsupported, "unsupported alg");
  }
  out.alg = *parsed;
  // We implement no extensions, so any "crit" (including "b64") is fatal.
  if (header.Find("crit") != nullptr) {
    return Reject(Reason::kCritUnsupported, "crit header present");
  }
  for (const char* embedded : {"jwk", "jku", "x5u", "x5c"}) {
    if (header.Find(embedded) != nullptr) {
      return Reject(Reason::kEmbeddedKey,
                    absl::StrCat("header parameter ", embedded, " present"));
    }
  }
  if (const JsonValue* kid = header.Find("kid"); kid != nullptr) {
    if (!kid->is_string() || !IsAcceptableKid(kid->string_value())) {
      return Reject(Reason::kBadKid, "kid not acceptable");
    }
    out.has_kid = true;
    out.kid = kid->string_value();
  }
  const JsonValue* typ = header.Find("typ");
  if (typ != nullptr && !typ->is_string()) {
    return Reject(Reason::kTypMismatch, "typ not a string");
  }
  if (!policy.required_typ.empty()) {
    if (typ == nullptr) return Reject(Reason::kTypMismatch, "typ missing");
    absl::string_view value = typ->string_value();
    if (absl::StartsWithIgnoreCase(value, "application/")) {
      value.remove_prefix(12);
    }
    if (!absl::EqualsIgnoreCase(value, policy.required_typ)) {
      return Reject(Reason::kTypMismatch, "typ does not match");
    }
  }
  if (const JsonValue* cty = header.Find("cty"); cty != nullptr) {
    if (cty->is_string() &&
        absl::EqualsIgnoreCase(cty->string_value(), "JWT")) {
      return Reject(Reason::kNestedJwt, "cty JWT (nested token)");
    }
    return Reject(Reason::kBadHeader, "unsupported cty");
  }
  return out;
}

}  // namespace bastion::authn::jwt
