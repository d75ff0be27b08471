// Parses a JWKS document (RFC 7517) into a KeySet, once, at load time.
// Every key must fit: kty RSA (>= 2048 bits) / EC (P-256, P-384, P-521) /
// OKP (Ed25519) / oct; "crv" and "alg" must agree with kty; "use", if
// present, must be "sig"; "key_ops", if present, must include "verify";
// private members are refused. Any bad key fails the whole document, so a
// broken file is noticed at startup or rotation instead of half-applied.
#ifndef BASTION_SERVICES_AUTHN_JWT_JWKS_H_
#define BASTION_SERVICES_AUTHN_JWT_JWKS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/authn/jwt/algorithm.h"
#include "services/authn/jwt/key_set.h"

namespace bastion::authn::jwt {

struct JwksOptions {
  // Algorithms for RSA keys that carry no "alg" member.
  AlgorithmSet rsa_default_algorithms = {Algorithm::kRS256};
  size_t max_document_bytes = 1 << 20;
  size_t max_keys = 100;
};

// INVALID_ARGUMENT naming the key index and the problem on any error.
absl::StatusOr<std::shared_ptr<const KeySet>> ParseJwks(
    absl::string_view document, const JwksOptions& options = JwksOptions());

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_JWKS_H_
