// Process-wide fetched digests and OpenSSL error formatting.
#include "services/authn/jwt/openssl_util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

namespace bastion::authn::jwt {
namespace {

struct Digests {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
};

// Never freed: lives for the process, shared by all threads.
const Digests& GetDigests() {
  static const Digests* const kDigests = new Digests();
  return *kDigests;
}

}  // namespace

const EVP_MD* Sha256() { return GetDigests().sha256; }

const EVP_MD* DigestFor(Algorithm alg) {
  switch (DigestSize(alg)) {
    case 32:
      return GetDigests().sha256;
    case 48:
      return GetDigests().sha384;
    case 64:
      return GetDigests().sha512;
    default:
      return nullptr;
  }
}

bool InitJwsVerify(EVP_MD_CTX* ctx, EVP_PKEY* pkey, Algorithm alg) {
  EVP_PKEY_CTX* pctx = nullptr;  // Owned by ctx.
  if (EVP_DigestVerifyInit(ctx, &pctx, DigestFor(alg), nullptr, pkey) != 1) {
    return false;
  }
  switch (FamilyOf(alg)) {
    case AlgorithmFamily::kRsaPss:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
                 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, DigestFor(alg)) == 1;
    case AlgorithmFamily::kRsaPkcs1:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    default:
      return true;
  }
}

EvpMacCtxPtr NewHmacContext(absl::string_view secret, Algorithm alg) {
  const EVP_MD* md = DigestFor(alg);
  if (GetDigests().hmac == nullptr || md == nullptr) return nullptr;
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(GetDigests().hmac));
  if (ctx == nullptr) return nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(
          OSSL_MAC_PARAM_DIGEST, const_cast<char*>(EVP_MD_get0_name(md)), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(),
                   reinterpret_cast<const unsigned char*>(secret.data()),
                   secret.size(), params) != 1) {
    return nullptr;
  }
  return ctx;
}

std::string DrainOpenSslErrors() {
  std::string out;
  unsigned long err;  // NOLINT(runtime/int): OpenSSL's type.
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error" : out;
}

}  // namespace bastion::authn::jwt
