// Process-wide fetched digests and OpenSSL error formatting.
#include "services/authn/jwt/openssl_util.h"

#include <openssl/err.h>

namespace bastion::authn::jwt {
namespace {

struct Digests {
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD* sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  EVP_MD* sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
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
