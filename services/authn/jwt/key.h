// One verification key, parsed and checked once at load time: a public key
// (RSA >= 2048 bits, EC P-256/384/521, Ed25519) or an HMAC secret, together
// with the fixed set of JWS algorithms it may verify. The algorithm set
// belongs to the key; a token header can only pick from it.
#ifndef BASTION_SERVICES_AUTHN_JWT_KEY_H_
#define BASTION_SERVICES_AUTHN_JWT_KEY_H_

#include <openssl/bn.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/authn/jwt/algorithm.h"
#include "services/authn/jwt/openssl_util.h"

namespace bastion::authn::jwt {

enum class KeyType { kHmac, kRsa, kEcP256, kEcP384, kEcP521, kEd25519 };

inline constexpr int kMinRsaBits = 2048;
inline constexpr size_t kMaxKidBytes = 256;

// True for 1..256 bytes of printable ASCII (0x21-0x7E) without '/', '\\'
// or "..": safe to log and to use as a lookup key anywhere. Token kids and
// configured kids both obey it.
bool IsAcceptableKid(absl::string_view kid);

// Immutable after construction; safe to share across threads.
class VerificationKey {
 public:
  // `allowed` empty means the key type's single natural algorithm: RS256 for
  // RSA, ES256/ES384/ES512 by curve, EdDSA for Ed25519, HS256 for secrets.
  // Otherwise every algorithm in `allowed` must fit the key (RSA: RS*/PS*;
  // EC: only the curve's ES*; Ed25519: EdDSA; secrets: HS* whose digest is no
  // longer than the secret). Errors are INVALID_ARGUMENT.

  // A non-empty `kid` must satisfy IsAcceptableKid.

  // PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----").
  static absl::StatusOr<std::shared_ptr<const VerificationKey>>
  FromPublicKeyPem(absl::string_view pem, absl::string_view kid,
                   AlgorithmSet allowed);
  // Raw HMAC secret bytes.
  static absl::StatusOr<std::shared_ptr<const VerificationKey>> FromHmacSecret(
      absl::string_view secret, absl::string_view kid, AlgorithmSet allowed);
  // A public EVP_PKEY (takes ownership), e.g. built from a JWK.
  static absl::StatusOr<std::shared_ptr<const VerificationKey>> FromPublicKey(
      EvpPkeyPtr pkey, absl::string_view kid, AlgorithmSet allowed);

  // The algorithms a key of `type` may ever be used with.
  static AlgorithmSet CompatibleAlgorithms(KeyType type);

  KeyType type() const { return type_; }
  // Empty for a default (kid-less) key.
  const std::string& kid() const { return kid_; }
  AlgorithmSet allowed() const { return allowed_; }
  bool Allows(Algorithm alg) const { return allowed_.Contains(alg); }

  // Public key (nullptr for HMAC keys).
  EVP_PKEY* pkey() const { return pkey_.get(); }
  absl::string_view hmac_secret() const { return secret_; }
  // RSA: modulus size in bytes. EC: field element size in bytes (32/48/66).
  int size_bytes() const { return size_bytes_; }
  // EC: group order n (nullptr otherwise).
  const BIGNUM* ec_order() const { return ec_order_.get(); }

  // A verify context initialised once at load for `alg` (nullptr if none
  // could be made). Callers copy it (EVP_MD_CTX_copy_ex, which only reads
  // the source) instead of paying EVP_DigestVerifyInit per request.
  const EVP_MD_CTX* verify_template(Algorithm alg) const {
    return verify_templates_[static_cast<int>(alg)].get();
  }
  // Likewise a keyed HMAC context for HS* (duplicated per request).
  const EVP_MAC_CTX* hmac_template(Algorithm alg) const {
    return hmac_templates_[static_cast<int>(alg)].get();
  }

  VerificationKey(const VerificationKey&) = delete;
  VerificationKey& operator=(const VerificationKey&) = delete;
  ~VerificationKey();

 private:
  VerificationKey() = default;
  // Fills the per-algorithm templates for allowed_. Failures leave nullptr
  // (callers fall back to a fresh init), so this never fails.
  void BuildTemplates();

  KeyType type_ = KeyType::kHmac;
  std::string kid_;
  AlgorithmSet allowed_;
  EvpPkeyPtr pkey_;
  std::string secret_;
  int size_bytes_ = 0;
  BignumPtr ec_order_;
  std::array<EvpMdCtxPtr, kAlgorithmCount> verify_templates_;
  std::array<EvpMacCtxPtr, kAlgorithmCount> hmac_templates_;
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_KEY_H_
