// The API key secret format: "bst_" + 32 bytes from OpenSSL's RAND_bytes in
// unpadded base64url (47 characters). Only SHA-256(secret) is stored: a
// 256-bit random secret cannot be guessed from its hash, so neither a slow
// hash nor a server-side pepper would add protection, and a plain digest
// keeps lookup-by-hash an index probe. Pure functions; thread-safe.
#ifndef BASTION_SERVICES_AUTHN_API_KEY_SECRET_H_
#define BASTION_SERVICES_AUTHN_API_KEY_SECRET_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bastion::authn {

// API keys start with this prefix; they are not JWTs.
inline constexpr absl::string_view kApiKeyPrefix = "bst_";
// Random bytes in a secret, and the secret's length.
inline constexpr size_t kApiKeySecretBytes = 32;
inline constexpr size_t kApiKeySecretLength = 4 + 43;
// Characters of the secret shown in listings: the prefix and 8 more (48
// bits), enough to tell keys apart, far from enough to use one.
inline constexpr size_t kApiKeyDisplayPrefixLength = 12;
// Length of a stored hash (SHA-256).
inline constexpr size_t kApiKeyHashBytes = 32;

struct GeneratedApiKeySecret {
  std::string secret;          // shown to the creator once
  std::string hash;            // ApiKeySecretHash(secret), stored
  std::string display_prefix;  // stored, shown in listings
};

// A fresh secret. INTERNAL when OpenSSL's generator fails.
absl::StatusOr<GeneratedApiKeySecret> GenerateApiKeySecret();

// A fresh key id: "key_" + 32 lowercase hex characters (128 random bits).
absl::StatusOr<std::string> GenerateApiKeyId();

// True when `credential` is meant as an API key (has the prefix), whether
// or not it is well formed.
bool IsApiKeyCredential(absl::string_view credential);

// True when `secret` has exactly the format GenerateApiKeySecret makes.
bool IsWellFormedApiKeySecret(absl::string_view secret);

// SHA-256 of the whole secret (prefix included), 32 raw bytes.
std::string ApiKeySecretHash(absl::string_view secret);

// True for "key_" + 32 lowercase hex characters.
bool IsWellFormedApiKeyId(absl::string_view key_id);

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_API_KEY_SECRET_H_
