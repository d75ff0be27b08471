// Strict base64url (RFC 4648 section 5) as JWS compact serialization needs
// it: URL-safe alphabet only, no padding, no whitespace, and no non-zero
// trailing bits, so every byte string has exactly one accepted encoding.
#ifndef BASTION_SERVICES_AUTHN_JWT_BASE64URL_H_
#define BASTION_SERVICES_AUTHN_JWT_BASE64URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace bastion::authn::jwt {

// Decodes `in` into `*out` (replacing its contents). Returns false on any
// character outside [A-Za-z0-9_-], on '=' padding, on a length that is 1
// mod 4, or on non-zero unused bits in the final character. Pure function.
bool Base64UrlDecode(absl::string_view in, std::string* out);

// Unpadded base64url encoding.
std::string Base64UrlEncode(absl::string_view in);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_BASE64URL_H_
