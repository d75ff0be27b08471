#include "common/auth/sha256.h"

#include <openssl/evp.h>

#include <memory>

namespace bastion {

std::string Sha256(absl::string_view data) {
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up (under
  // a lock) and EVP_Digest allocates a context, on every call.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (md == nullptr || ctx == nullptr ||
      EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) {
    // Never equal to a real digest (32 bytes), so never a false cache hit.
    return std::string();
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace bastion
