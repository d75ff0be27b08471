// The result of a successful token verification: the identity and grants
// the rest of Bastion may rely on.
#ifndef BASTION_SERVICES_AUTHN_JWT_VERIFIED_TOKEN_H_
#define BASTION_SERVICES_AUTHN_JWT_VERIFIED_TOKEN_H_

#include <cstdint>
#include <string>
#include <vector>

namespace bastion::authn::jwt {

struct VerifiedToken {
  std::string subject;
  std::string tenant_id;
  std::string issuer;
  std::string token_id;             // "jti"; may be empty.
  std::vector<std::string> scopes;  // Deduplicated, in first-seen order.
  std::vector<std::string> roles;
  std::vector<std::string> audiences;
  int64_t expires_at_unix = 0;  // "exp".
  // The first second at which the verifier no longer accepts the token:
  // "exp" plus the configured leeway. What the credential is worth to the
  // rest of Bastion (Principal.expires_at_unix), so the leeway means the
  // same thing everywhere.
  int64_t accepted_until_unix = 0;
  int64_t issued_at_unix = 0;  // 0 when the token has no "iat".
  std::string algorithm;       // e.g. "RS256".
  std::string key_id;  // Empty when a default (kid-less) key verified it.
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_VERIFIED_TOKEN_H_
