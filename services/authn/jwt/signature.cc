// Per-family JWS signature checks; see signature.h.
#include "services/authn/jwt/signature.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "services/authn/jwt/openssl_util.h"
#include "services/authn/jwt/reason.h"

namespace bastion::authn::jwt {
namespace {

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status VerifyHmac(const VerificationKey& key, Algorithm alg,
                        absl::string_view input, absl::string_view sig) {
  const size_t size = static_cast<size_t>(DigestSize(alg));
  if (sig.size() != size) {
    return Reject(Reason::kBadSignatureLength,
                  absl::StrCat(AlgorithmName(alg), " tag of ", sig.size(),
                               " bytes, want ", size));
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  bool computed = false;
  if (const EVP_MAC_CTX* tmpl = key.hmac_template(alg); tmpl != nullptr) {
    EvpMacCtxPtr ctx(EVP_MAC_CTX_dup(tmpl));
    computed = ctx != nullptr &&
               EVP_MAC_update(ctx.get(), Bytes(input), input.size()) == 1 &&
               EVP_MAC_final(ctx.get(), mac, &mac_len, sizeof(mac)) == 1;
  } else {
    const absl::string_view secret = key.hmac_secret();
    unsigned int len = 0;
    computed =
        HMAC(DigestFor(alg), secret.data(), static_cast<int>(secret.size()),
             Bytes(input), input.size(), mac, &len) != nullptr;
    mac_len = len;
  }
  if (!computed || mac_len != size) {
    ERR_clear_error();
    return Reject(Reason::kBadSignature, "HMAC computation failed");
  }
  const bool equal = CRYPTO_memcmp(mac, sig.data(), size) == 0;
  OPENSSL_cleanse(mac, sizeof(mac));
  if (!equal) return Reject(Reason::kBadSignature, "HMAC mismatch");
  return absl::OkStatus();
}

// Runs EVP_DigestVerify from a copy of the key's template context (or a
// fresh init when there is none).
absl::Status EvpVerify(const VerificationKey& key, Algorithm alg,
                       absl::string_view input, const unsigned char* sig,
                       size_t sig_len) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return Reject(Reason::kBadSignature, "EVP_MD_CTX_new");
  const EVP_MD_CTX* tmpl = key.verify_template(alg);
  const bool ready = tmpl != nullptr
                         ? EVP_MD_CTX_copy_ex(ctx.get(), tmpl) == 1
                         : InitJwsVerify(ctx.get(), key.pkey(), alg);
  if (!ready) {
    ERR_clear_error();
    return Reject(Reason::kBadSignature, "verify context setup failed");
  }
  const int rc =
      EVP_DigestVerify(ctx.get(), sig, sig_len, Bytes(input), input.size());
  if (rc != 1) {  // 0 = mismatch, negative = error: both are failures.
    ERR_clear_error();
    return Reject(Reason::kBadSignature,
                  absl::StrCat(AlgorithmName(alg), " verify returned ", rc));
  }
  return absl::OkStatus();
}

absl::Status VerifyRsa(const VerificationKey& key, Algorithm alg,
                       absl::string_view input, absl::string_view sig) {
  if (sig.size() != static_cast<size_t>(key.size_bytes())) {
    return Reject(Reason::kBadSignatureLength,
                  absl::StrCat("RSA signature of ", sig.size(),
                               " bytes, modulus is ", key.size_bytes()));
  }
  return EvpVerify(key, alg, input, Bytes(sig), sig.size());
}

absl::Status VerifyEcdsa(const VerificationKey& key, Algorithm alg,
                         absl::string_view input, absl::string_view sig) {
  const size_t n = static_cast<size_t>(key.size_bytes());
  if (sig.size() != 2 * n) {
    return Reject(Reason::kBadSignatureLength,
                  absl::StrCat(AlgorithmName(alg), " signature of ", sig.size(),
                               " bytes, want raw R||S of ", 2 * n));
  }
  BignumPtr r(BN_bin2bn(Bytes(sig), static_cast<int>(n), nullptr));
  BignumPtr s(BN_bin2bn(Bytes(sig) + n, static_cast<int>(n), nullptr));
  if (r == nullptr || s == nullptr) {
    return Reject(Reason::kBadSignature, "BN_bin2bn failed");
  }
  const BIGNUM* order = key.ec_order();
  if (BN_is_zero(r.get()) || BN_is_zero(s.get()) ||
      BN_cmp(r.get(), order) >= 0 || BN_cmp(s.get(), order) >= 0) {
    return Reject(Reason::kBadEcdsaScalar, "ECDSA r or s outside (0, n)");
  }
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(ECDSA_SIG_new(),
                                                              &ECDSA_SIG_free);
  if (ecdsa == nullptr || ECDSA_SIG_set0(ecdsa.get(), r.get(), s.get()) != 1) {
    return Reject(Reason::kBadSignature, "ECDSA_SIG_set0 failed");
  }
  r.release();  // Now owned by ecdsa.
  s.release();
  unsigned char der[160];  // 2 * (66 + 3) + 6 fits P-521.
  unsigned char* p = der;
  const int der_len = i2d_ECDSA_SIG(ecdsa.get(), &p);
  if (der_len <= 0 || der_len > static_cast<int>(sizeof(der))) {
    return Reject(Reason::kBadSignature, "i2d_ECDSA_SIG failed");
  }
  return EvpVerify(key, alg, input, der, static_cast<size_t>(der_len));
}

absl::Status VerifyEdDsa(const VerificationKey& key, Algorithm alg,
                         absl::string_view input, absl::string_view sig) {
  if (sig.size() != 64) {
    return Reject(
        Reason::kBadSignatureLength,
        absl::StrCat("Ed25519 signature of ", sig.size(), " bytes, want 64"));
  }
  return EvpVerify(key, alg, input, Bytes(sig), sig.size());
}

}  // namespace

absl::Status VerifyJwsSignature(const VerificationKey& key, Algorithm alg,
                                absl::string_view signing_input,
                                absl::string_view signature) {
  if (!key.Allows(alg)) {
    return Reject(Reason::kAlgNotAllowedForKey,
                  absl::StrCat(AlgorithmName(alg), " not in key's set ",
                               key.allowed().ToString()));
  }
  switch (FamilyOf(alg)) {
    case AlgorithmFamily::kHmac:
      if (key.type() != KeyType::kHmac) break;
      return VerifyHmac(key, alg, signing_input, signature);
    case AlgorithmFamily::kRsaPkcs1:
    case AlgorithmFamily::kRsaPss:
      if (key.type() != KeyType::kRsa) break;
      return VerifyRsa(key, alg, signing_input, signature);
    case AlgorithmFamily::kEcdsa:
      if (key.ec_order() == nullptr) break;
      return VerifyEcdsa(key, alg, signing_input, signature);
    case AlgorithmFamily::kEdDSA:
      if (key.type() != KeyType::kEd25519) break;
      return VerifyEdDsa(key, alg, signing_input, signature);
  }
  // Unreachable when the key's set was checked at load; fail closed anyway.
  return Reject(Reason::kAlgNotAllowedForKey,
                "algorithm does not fit key type");
}

}  // namespace bastion::authn::jwt
