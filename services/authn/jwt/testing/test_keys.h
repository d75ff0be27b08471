// Test-only key generation and token minting with OpenSSL, so tests build
// every token they verify (no checked-in secrets, no network).
#ifndef BASTION_SERVICES_AUTHN_JWT_TESTING_TEST_KEYS_H_
#define BASTION_SERVICES_AUTHN_JWT_TESTING_TEST_KEYS_H_

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "services/authn/jwt/algorithm.h"
#include "services/authn/jwt/key.h"

namespace bastion::authn::jwt::testing {

// A private key (or HMAC secret) for signing plus its public forms.
// Immutable after creation; copies share the EVP_PKEY.
class TestKey {
 public:
  static TestKey Rsa(int bits = 2048);
  static TestKey Ec(KeyType curve);  // kEcP256, kEcP384 or kEcP521.
  static TestKey Ed25519();
  static TestKey Hmac(std::string secret);

  KeyType type() const { return type_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }
  const std::string& secret() const { return secret_; }

  std::string PublicPem() const;
  std::string PublicDer() const;
  // A JWK object; `extra` is appended raw (e.g. R"("use":"sig")"), empty
  // `kid`/`alg` are omitted.
  std::string Jwk(absl::string_view kid, absl::string_view alg,
                  absl::string_view extra = "") const;

  // A JWS signature (ECDSA as raw R||S) over `input`.
  std::string Sign(Algorithm alg, absl::string_view input) const;
  // ECDSA only: the DER signature OpenSSL produces.
  std::string SignEcdsaDer(Algorithm alg, absl::string_view input) const;

  // A verification key for the public half (or the secret).
  std::shared_ptr<const VerificationKey> VerifierKey(
      absl::string_view kid = "", AlgorithmSet allowed = {}) const;

 private:
  KeyType type_ = KeyType::kHmac;
  std::shared_ptr<EVP_PKEY> pkey_;
  std::string secret_;
};

// base64url(header).base64url(payload)
std::string SigningInput(absl::string_view header_json,
                         absl::string_view payload_json);
// A compact JWS signed by `key` with `alg`.
std::string MintToken(absl::string_view header_json,
                      absl::string_view payload_json, const TestKey& key,
                      Algorithm alg);
// base64url of each part joined with '.'.
std::string Compact(absl::string_view header_json,
                    absl::string_view payload_json,
                    absl::string_view signature);

// Group order n of `curve` as big-endian bytes of the field size.
std::string EcOrderBytes(KeyType curve);

}  // namespace bastion::authn::jwt::testing

#endif  // BASTION_SERVICES_AUTHN_JWT_TESTING_TEST_KEYS_H_
