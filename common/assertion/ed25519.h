// Ed25519 primitives over OpenSSL 3 EVP, used by the signer and the key set
// (package-internal). No function here returns or logs OpenSSL's error text;
// each clears OpenSSL's thread-local error queue after a failure.
#ifndef BASTION_COMMON_ASSERTION_ED25519_H_
#define BASTION_COMMON_ASSERTION_ED25519_H_

#include <memory>
#include <string>

#include <openssl/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bastion::assertion::internal {

struct PkeyDeleter {
  void operator()(EVP_PKEY* pkey) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// A fresh private key. INTERNAL if OpenSSL fails.
absl::StatusOr<PkeyPtr> GeneratePrivateKey();

// A public-only key from the 32 raw bytes; INVALID_ARGUMENT if not 32 bytes
// or rejected by OpenSSL.
absl::StatusOr<PkeyPtr> PublicKeyFromRaw(absl::string_view raw);

// A private key from PKCS#8 PEM text. INVALID_ARGUMENT if it is not an
// unencrypted Ed25519 private key (never prompts for a passphrase).
absl::StatusOr<PkeyPtr> PrivateKeyFromPem(absl::string_view pem);

// Unencrypted PKCS#8 PEM of a private key. INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> PrivateKeyToPem(const EVP_PKEY* pkey);

// The raw 32-byte public key of a private or public Ed25519 key.
absl::StatusOr<std::string> RawPublicKey(const EVP_PKEY* pkey);

// Key id: the first 16 lower-case hex characters of SHA-256(raw public key).
std::string KeyIdOf(absl::string_view raw_public_key);

// kSignatureContext || 0x00 || claims: the exact bytes that are signed.
std::string SigningInput(absl::string_view claims);

// A 64-byte Ed25519 signature over `message`. INTERNAL if OpenSSL fails.
absl::StatusOr<std::string> Sign(const EVP_PKEY* pkey,
                                 absl::string_view message);

// True only if OpenSSL's verify returns exactly 1 and `signature` is exactly
// 64 bytes. Safe to call concurrently with the same key.
bool Verify(const EVP_PKEY* pkey, absl::string_view message,
            absl::string_view signature);

// `bytes` random bytes from OpenSSL's CSPRNG, hex-encoded (lower case).
absl::StatusOr<std::string> RandomHex(int bytes);

}  // namespace bastion::assertion::internal

#endif  // BASTION_COMMON_ASSERTION_ED25519_H_
