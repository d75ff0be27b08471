// Test key generation and signing; see test_keys.h.
#include "services/authn/jwt/testing/test_keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/authn/jwt/base64url.h"
#include "services/authn/jwt/openssl_util.h"

namespace bastion::authn::jwt::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "test_keys: " << what << " failed: " << DrainOpenSslErrors()
              << "\n";
    std::abort();
  }
}

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* p) {
  Check(p != nullptr, "keygen");
  return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free);
}

int CurveBytes(KeyType t) {
  return t == KeyType::kEcP256 ? 32 : t == KeyType::kEcP384 ? 48 : 66;
}

std::string BnParam(EVP_PKEY* pkey, const char* name, int pad) {
  BIGNUM* bn = nullptr;
  Check(EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, name);
  std::string out(pad > 0 ? pad : BN_num_bytes(bn), '\0');
  Check(BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()),
                     static_cast<int>(out.size())) > 0,
        "BN_bn2binpad");
  BN_free(bn);
  return out;
}

}  // namespace

TestKey TestKey::Rsa(int bits) {
  TestKey k;
  k.type_ = KeyType::kRsa;
  k.pkey_ = Own(
      EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  return k;
}

TestKey TestKey::Ec(KeyType curve) {
  const char* name = curve == KeyType::kEcP256   ? "P-256"
                     : curve == KeyType::kEcP384 ? "P-384"
                                                 : "P-521";
  TestKey k;
  k.type_ = curve;
  k.pkey_ = Own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", name));
  return k;
}

TestKey TestKey::Ed25519() {
  TestKey k;
  k.type_ = KeyType::kEd25519;
  k.pkey_ = Own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  return k;
}

TestKey TestKey::Hmac(std::string secret) {
  TestKey k;
  k.type_ = KeyType::kHmac;
  k.secret_ = std::move(secret);
  return k;
}

std::string TestKey::PublicPem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  Check(PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) == 1, "PEM_write");
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);  // NOLINT
  return std::string(data, static_cast<size_t>(len));
}

std::string TestKey::PublicDer() const {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey_.get(), &der);
  Check(len > 0, "i2d_PUBKEY");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string TestKey::Jwk(absl::string_view kid, absl::string_view alg,
                         absl::string_view extra) const {
  std::string members;
  switch (type_) {
    case KeyType::kRsa:
      members = absl::StrCat(
          R"("kty":"RSA","n":")",
          Base64UrlEncode(BnParam(pkey_.get(), OSSL_PKEY_PARAM_RSA_N, 0)),
          R"(","e":")",
          Base64UrlEncode(BnParam(pkey_.get(), OSSL_PKEY_PARAM_RSA_E, 0)),
          "\"");
      break;
    case KeyType::kEcP256:
    case KeyType::kEcP384:
    case KeyType::kEcP521: {
      const int n = CurveBytes(type_);
      const char* crv = type_ == KeyType::kEcP256   ? "P-256"
                        : type_ == KeyType::kEcP384 ? "P-384"
                                                    : "P-521";
      members = absl::StrCat(
          R"("kty":"EC","crv":")", crv, R"(","x":")",
          Base64UrlEncode(BnParam(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, n)),
          R"(","y":")",
          Base64UrlEncode(BnParam(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, n)),
          "\"");
      break;
    }
    case KeyType::kEd25519: {
      unsigned char raw[32];
      size_t len = sizeof(raw);
      Check(EVP_PKEY_get_raw_public_key(pkey_.get(), raw, &len) == 1, "raw");
      members = absl::StrCat(
          R"("kty":"OKP","crv":"Ed25519","x":")",
          Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(raw), len)),
          "\"");
      break;
    }
    case KeyType::kHmac:
      members =
          absl::StrCat(R"("kty":"oct","k":")", Base64UrlEncode(secret_), "\"");
      break;
  }
  if (!kid.empty()) absl::StrAppend(&members, R"(,"kid":")", kid, "\"");
  if (!alg.empty()) absl::StrAppend(&members, R"(,"alg":")", alg, "\"");
  if (!extra.empty()) absl::StrAppend(&members, ",", extra);
  return absl::StrCat("{", members, "}");
}

std::string TestKey::SignEcdsaDer(Algorithm alg,
                                  absl::string_view input) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  Check(EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(alg), nullptr,
                           pkey_.get()) == 1,
        "DigestSignInit");
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) == 1,
        "DigestSign size");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                       &len, in, input.size()) == 1,
        "DigestSign");
  sig.resize(len);
  return sig;
}

std::string TestKey::Sign(Algorithm alg, absl::string_view input) const {
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  switch (FamilyOf(alg)) {
    case AlgorithmFamily::kHmac: {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      Check(
          HMAC(DigestFor(alg), secret_.data(), static_cast<int>(secret_.size()),
               in, input.size(), mac, &len) != nullptr,
          "HMAC");
      return std::string(reinterpret_cast<char*>(mac), len);
    }
    case AlgorithmFamily::kEcdsa: {
      const std::string der = SignEcdsaDer(alg, input);
      const auto* p = reinterpret_cast<const unsigned char*>(der.data());
      ECDSA_SIG* sig =
          d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
      Check(sig != nullptr, "d2i_ECDSA_SIG");
      const int n = CurveBytes(type_);
      std::string raw(2 * n, '\0');
      auto* out = reinterpret_cast<unsigned char*>(raw.data());
      BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, n);
      BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + n, n);
      ECDSA_SIG_free(sig);
      return raw;
    }
    default:
      break;
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  Check(EVP_DigestSignInit(ctx.get(), &pctx, DigestFor(alg), nullptr,
                           pkey_.get()) == 1,
        "DigestSignInit");
  if (FamilyOf(alg) == AlgorithmFamily::kRsaPss) {
    Check(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
                  1 &&
              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, DigestFor(alg)) == 1,
          "PSS");
  }
  size_t len = 0;
  Check(EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) == 1,
        "DigestSign size");
  std::string sig(len, '\0');
  Check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                       &len, in, input.size()) == 1,
        "DigestSign");
  sig.resize(len);
  return sig;
}

std::shared_ptr<const VerificationKey> TestKey::VerifierKey(
    absl::string_view kid, AlgorithmSet allowed) const {
  absl::StatusOr<std::shared_ptr<const VerificationKey>> key =
      type_ == KeyType::kHmac
          ? VerificationKey::FromHmacSecret(secret_, kid, allowed)
          : VerificationKey::FromPublicKeyPem(PublicPem(), kid, allowed);
  if (!key.ok()) {
    std::cerr << "VerifierKey: " << key.status() << "\n";
    std::abort();
  }
  return *key;
}

std::string SigningInput(absl::string_view header_json,
                         absl::string_view payload_json) {
  return absl::StrCat(Base64UrlEncode(header_json), ".",
                      Base64UrlEncode(payload_json));
}

std::string MintToken(absl::string_view header_json,
                      absl::string_view payload_json, const TestKey& key,
                      Algorithm alg) {
  const std::string input = SigningInput(header_json, payload_json);
  return absl::StrCat(input, ".", Base64UrlEncode(key.Sign(alg, input)));
}

std::string Compact(absl::string_view header_json,
                    absl::string_view payload_json,
                    absl::string_view signature) {
  return absl::StrCat(SigningInput(header_json, payload_json), ".",
                      Base64UrlEncode(signature));
}

std::string EcOrderBytes(KeyType curve) {
  const int nid = curve == KeyType::kEcP256   ? NID_X9_62_prime256v1
                  : curve == KeyType::kEcP384 ? NID_secp384r1
                                              : NID_secp521r1;
  EC_GROUP* group = EC_GROUP_new_by_curve_name(nid);
  Check(group != nullptr, "EC_GROUP");
  const int n = CurveBytes(curve);
  std::string out(n, '\0');
  BN_bn2binpad(EC_GROUP_get0_order(group),
               reinterpret_cast<unsigned char*>(out.data()), n);
  EC_GROUP_free(group);
  return out;
}

}  // namespace bastion::authn::jwt::testing
