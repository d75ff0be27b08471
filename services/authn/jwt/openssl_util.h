// RAII owners for the OpenSSL objects this package holds, plus digests
// fetched once per process (implicit fetching by name on every call is a
// measurable cost in OpenSSL 3).
#ifndef BASTION_SERVICES_AUTHN_JWT_OPENSSL_UTIL_H_
#define BASTION_SERVICES_AUTHN_JWT_OPENSSL_UTIL_H_

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "services/authn/jwt/algorithm.h"

namespace bastion::authn::jwt {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BignumDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;
struct EvpMacCtxDeleter {
  void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};
using EvpMacCtxPtr = std::unique_ptr<EVP_MAC_CTX, EvpMacCtxDeleter>;

// EVP_DigestVerifyInit for a JWS `alg` (PKCS#1 v1.5 or PSS padding with
// salt length = hash length and MGF1 with the same hash, RFC 7518 3.5).
// Returns true on success.
bool InitJwsVerify(EVP_MD_CTX* ctx, EVP_PKEY* pkey, Algorithm alg);

// A new HMAC context keyed with `secret` for `alg`, or nullptr.
EvpMacCtxPtr NewHmacContext(absl::string_view secret, Algorithm alg);

// SHA-256/384/512 for `alg` (nullptr for EdDSA), fetched once. Thread-safe.
const EVP_MD* DigestFor(Algorithm alg);
const EVP_MD* Sha256();

// Drains OpenSSL's thread-local error queue into a short string (for
// internal log messages only, never for callers).
std::string DrainOpenSslErrors();

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_OPENSSL_UTIL_H_
