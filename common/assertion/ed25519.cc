// Ed25519 primitives; see ed25519.h.
#include "common/assertion/ed25519.h"

#include <cstdint>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/assertion/assertion_limits.h"

namespace bastion::assertion::internal {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL's error text is never shown to callers; drop it so it cannot leak
// into an unrelated later check on this thread.
absl::Status OpenSslFailure(absl::string_view what) {
  ERR_clear_error();
  return absl::InternalError(absl::StrCat("OpenSSL failed to ", what));
}

// Refuses to prompt on the terminal for the passphrase of an encrypted PEM.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
  return 0;
}

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }

absl::StatusOr<PkeyPtr> GeneratePrivateKey() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return OpenSslFailure("initialise Ed25519 key generation");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1 || raw == nullptr) {
    return OpenSslFailure("generate an Ed25519 key");
  }
  return PkeyPtr(raw);
}

absl::StatusOr<PkeyPtr> PublicKeyFromRaw(absl::string_view raw) {
  if (raw.size() != kPublicKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 public key must be ", kPublicKeyBytes,
                     " bytes, got ", raw.size()));
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           Bytes(raw), raw.size()));
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("not a valid Ed25519 public key");
  }
  return pkey;
}

absl::StatusOr<PkeyPtr> PrivateKeyFromPem(absl::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError("PEM too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslFailure("allocate a buffer");
  PkeyPtr pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, &NoPassphrase, nullptr));
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "not an unencrypted PEM private key");
  }
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("private key is not an Ed25519 key");
  }
  return pkey;
}

absl::StatusOr<std::string> PrivateKeyToPem(const EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) return OpenSslFailure("allocate a buffer");
  if (PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpenSslFailure("encode the private key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) return OpenSslFailure("encode the key");
  std::string pem(data, static_cast<std::size_t>(size));
  // The BIO's copy of the key text is wiped before it is freed.
  OPENSSL_cleanse(data, static_cast<std::size_t>(size));
  return pem;
}

absl::StatusOr<std::string> RawPublicKey(const EVP_PKEY* pkey) {
  std::string raw(kPublicKeyBytes, '\0');
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(
          pkey, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1 ||
      size != kPublicKeyBytes) {
    return OpenSslFailure("read the Ed25519 public key");
  }
  return raw;
}

std::string KeyIdOf(absl::string_view raw_public_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(raw_public_key.data(), raw_public_key.size(), digest, &size,
                 EVP_sha256(), nullptr) != 1 ||
      size < 8) {
    ERR_clear_error();
    return "";  // An empty key id matches nothing (KeySet refuses it).
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

std::string SigningInput(absl::string_view claims) {
  std::string input;
  input.reserve(kSignatureContext.size() + 1 + claims.size());
  input.append(kSignatureContext.data(), kSignatureContext.size());
  input.push_back('\0');
  input.append(claims.data(), claims.size());
  return input;
}

absl::StatusOr<std::string> Sign(const EVP_PKEY* pkey,
                                 absl::string_view message) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslFailure("allocate a signing context");
  // Ed25519 hashes internally: no message digest (NULL md).
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr,
                         const_cast<EVP_PKEY*>(pkey)) != 1) {
    return OpenSslFailure("initialise signing");
  }
  std::string signature(kSignatureBytes, '\0');
  std::size_t size = signature.size();
  if (EVP_DigestSign(ctx.get(),
                     reinterpret_cast<unsigned char*>(signature.data()), &size,
                     Bytes(message), message.size()) != 1 ||
      size != kSignatureBytes) {
    return OpenSslFailure("sign");
  }
  return signature;
}

bool Verify(const EVP_PKEY* pkey, absl::string_view message,
            absl::string_view signature) {
  if (signature.size() != kSignatureBytes) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) {
    ERR_clear_error();
    return false;
  }
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                           const_cast<EVP_PKEY*>(pkey)) != 1) {
    ERR_clear_error();
    return false;
  }
  // Only exactly 1 is a valid signature; 0 and negative values are not.
  const int result = EVP_DigestVerify(ctx.get(), Bytes(signature),
                                      signature.size(), Bytes(message),
                                      message.size());
  if (result != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

absl::StatusOr<std::string> RandomHex(int bytes) {
  std::vector<unsigned char> buffer(static_cast<std::size_t>(bytes));
  if (RAND_bytes(buffer.data(), bytes) != 1) {
    return OpenSslFailure("produce random bytes");
  }
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

}  // namespace bastion::assertion::internal
