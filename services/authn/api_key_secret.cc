#include "services/authn/api_key_secret.h"

#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/sha256.h"

namespace bastion::authn {
namespace {

bool Base64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  // Only a return value of exactly 1 is success.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()),
                 static_cast<int>(n)) != 1) {
    return absl::InternalError("random generator failed");
  }
  return bytes;
}

}  // namespace

absl::StatusOr<GeneratedApiKeySecret> GenerateApiKeySecret() {
  absl::StatusOr<std::string> random = RandomBytes(kApiKeySecretBytes);
  if (!random.ok()) return random.status();
  GeneratedApiKeySecret out;
  out.secret = absl::StrCat(kApiKeyPrefix, absl::WebSafeBase64Escape(*random));
  out.hash = ApiKeySecretHash(out.secret);
  if (out.hash.size() != kApiKeyHashBytes) {
    return absl::InternalError("secret digest failed");
  }
  out.display_prefix = out.secret.substr(0, kApiKeyDisplayPrefixLength);
  return out;
}

absl::StatusOr<std::string> GenerateApiKeyId() {
  absl::StatusOr<std::string> random = RandomBytes(16);
  if (!random.ok()) return random.status();
  return absl::StrCat("key_", absl::BytesToHexString(*random));
}

bool IsApiKeyCredential(absl::string_view credential) {
  return absl::StartsWith(credential, kApiKeyPrefix);
}

bool IsWellFormedApiKeySecret(absl::string_view secret) {
  if (secret.size() != kApiKeySecretLength || !IsApiKeyCredential(secret)) {
    return false;
  }
  for (char c : secret.substr(kApiKeyPrefix.size())) {
    if (!Base64UrlChar(c)) return false;
  }
  // 43 characters carry 258 bits for 256: the 2 unused bits must be zero,
  // so each key has exactly one accepted spelling.
  const char last = secret.back();
  std::string decoded;
  return absl::WebSafeBase64Unescape(secret.substr(kApiKeyPrefix.size()),
                                     &decoded) &&
         decoded.size() == kApiKeySecretBytes &&
         absl::WebSafeBase64Escape(decoded).back() == last;
}

// The shared digest: same 32 raw bytes as before, so stored hashes keep
// matching. It returns an empty string when OpenSSL fails, which can never
// equal a stored (32-byte) hash.
std::string ApiKeySecretHash(absl::string_view secret) {
  return Sha256(secret);
}

bool IsWellFormedApiKeyId(absl::string_view key_id) {
  if (key_id.size() != 36 || !absl::StartsWith(key_id, "key_")) return false;
  for (char c : key_id.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace bastion::authn
