// JWS signature verification for one key and one algorithm with OpenSSL 3
// EVP. Only an EVP verify result of exactly 1 counts as valid; HMAC tags are
// compared with CRYPTO_memcmp; ECDSA signatures must be raw R||S of the
// curve's exact length with 0 < r, s < n before they are DER-encoded for
// OpenSSL; RSA signatures must be exactly the modulus length.
#ifndef BASTION_SERVICES_AUTHN_JWT_SIGNATURE_H_
#define BASTION_SERVICES_AUTHN_JWT_SIGNATURE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/authn/jwt/algorithm.h"
#include "services/authn/jwt/key.h"

namespace bastion::authn::jwt {

// Returns OK only if `signature` is a valid `alg` signature of
// `signing_input` under `key`, and `key` allows `alg`. Rejections are
// UNAUTHENTICATED with a Reason (see reason.h). Thread-safe.
absl::Status VerifyJwsSignature(const VerificationKey& key, Algorithm alg,
                                absl::string_view signing_input,
                                absl::string_view signature);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_SIGNATURE_H_
