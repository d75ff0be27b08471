// JOSE header rules for JWS tokens: which algorithm and kid a token may ask
// for, and which header parameters make it unacceptable (crit, embedded or
// remote keys, JWE markers, nested JWTs, a wrong typ). Pure functions.
#ifndef BASTION_SERVICES_AUTHN_JWT_HEADER_H_
#define BASTION_SERVICES_AUTHN_JWT_HEADER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/authn/jwt/algorithm.h"
#include "services/authn/jwt/json.h"
#include "services/authn/jwt/key.h"  // IsAcceptableKid

namespace bastion::authn::jwt {

struct HeaderPolicy {
  // If non-empty, "typ" must be present and equal this, case-insensitively
  // (an "application/" prefix on the token's value is ignored, RFC 7515
  // 4.1.9), e.g. "JWT" or "at+jwt".
  std::string required_typ;
};

struct JoseHeader {
  Algorithm alg = Algorithm::kHS256;
  bool has_kid = false;
  std::string kid;
};

// `header` is the parsed first segment. Rejections carry a Reason.
absl::StatusOr<JoseHeader> CheckJoseHeader(const JsonValue& header,
                                           const HeaderPolicy& policy);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_HEADER_H_
