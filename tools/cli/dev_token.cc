#include "tools/cli/dev_token.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bastion::cli {
namespace {

constexpr size_t kMaxKeyFileBytes = 64 * 1024;
constexpr int kEs256PartBytes = 32;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* pkey) const { EVP_PKEY_free(pkey); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// OpenSSL's own error text is not shown; its queue is emptied so a later
// call does not report a stale error.
absl::Status KeyError(absl::string_view message) {
  ERR_clear_error();
  return absl::InvalidArgumentError(message);
}

// Never prompts for a passphrase: an encrypted key simply fails to load.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::StatusOr<PkeyPtr> LoadPrivateKey(absl::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return KeyError("cannot read the key");
  PkeyPtr pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) {
    return KeyError("the key is not an unencrypted PEM private key");
  }
  return pkey;
}

// The JWS algorithm for a key, or INVALID_ARGUMENT for keys authn would not
// accept.
absl::StatusOr<std::string> AlgorithmFor(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_ED25519:
      return std::string("EdDSA");
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey) < 2048)
        return KeyError("RSA keys need 2048 bits or more");
      return std::string("RS256");
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t length = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                         group, sizeof(group), &length) != 1 ||
          absl::string_view(group, length) != "prime256v1") {
        return KeyError("only P-256 EC keys are supported (ES256)");
      }
      return std::string("ES256");
    }
    default:
      return KeyError("unsupported key type (use Ed25519, RSA or P-256)");
  }
}

absl::StatusOr<std::string> SignWithKey(EVP_PKEY* pkey,
                                        const std::string& algorithm,
                                        absl::string_view input) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const EVP_MD* digest = algorithm == "EdDSA" ? nullptr : EVP_sha256();
  size_t length = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, digest, nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, data, input.size()) != 1) {
    return KeyError("signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(),
                     reinterpret_cast<unsigned char*>(signature.data()),
                     &length, data, input.size()) != 1) {
    return KeyError("signing failed");
  }
  signature.resize(length);
  if (algorithm != "ES256") return signature;
  // JWS wants r || s, 32 bytes each, not OpenSSL's DER sequence.
  const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> parsed(
      d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
  if (!parsed) return KeyError("signing failed");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(parsed.get(), &r, &s);
  std::string raw(2 * kEs256PartBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kEs256PartBytes) != kEs256PartBytes ||
      BN_bn2binpad(s, out + kEs256PartBytes, kEs256PartBytes) !=
          kEs256PartBytes) {
    return KeyError("signing failed");
  }
  return raw;
}

absl::StatusOr<std::string> RandomHex(int bytes) {
  std::string random(static_cast<size_t>(bytes), '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), bytes) != 1) {
    ERR_clear_error();
    return absl::InternalError("no random bytes");
  }
  return absl::BytesToHexString(random);
}

std::string Encode(absl::string_view bytes) {
  return absl::WebSafeBase64Escape(bytes);
}

// Compact JSON; bytes that are not UTF-8 become U+FFFD instead of throwing.
std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<std::string> MintDevToken(absl::string_view key,
                                         bool hmac_secret,
                                         const DevTokenClaims& claims,
                                         absl::Time now) {
  if (claims.subject.empty())
    return absl::InvalidArgumentError("a subject is required");
  if (claims.lifetime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the lifetime must be positive");
  }
  PkeyPtr pkey;
  std::string algorithm = "HS256";
  if (!hmac_secret) {
    absl::StatusOr<PkeyPtr> loaded = LoadPrivateKey(key);
    if (!loaded.ok()) return loaded.status();
    pkey = std::move(*loaded);
    absl::StatusOr<std::string> chosen = AlgorithmFor(pkey.get());
    if (!chosen.ok()) return chosen.status();
    algorithm = *chosen;
  } else if (key.empty()) {
    return absl::InvalidArgumentError("the HMAC secret is empty");
  }
  absl::StatusOr<std::string> jti = RandomHex(16);
  if (!jti.ok()) return jti.status();

  const int64_t issued = absl::ToUnixSeconds(now);
  nlohmann::json header = {{"alg", algorithm}, {"typ", "JWT"}};
  if (!claims.key_id.empty()) header["kid"] = claims.key_id;
  nlohmann::json body = {
      {"sub", claims.subject},
      {"iss", claims.issuer},
      {"aud", claims.audience},
      {"iat", issued},
      {"nbf", issued},
      {"exp", absl::ToUnixSeconds(now + claims.lifetime)},
      {"jti", *jti},
      {"scopes", claims.scopes},
  };
  if (!claims.tenant.empty()) body["tenant_id"] = claims.tenant;
  if (!claims.roles.empty()) body["roles"] = claims.roles;

  const std::string input =
      absl::StrCat(Encode(Dump(header)), ".", Encode(Dump(body)));
  std::string signature;
  if (hmac_secret) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(),
             mac, &length) == nullptr) {
      return KeyError("signing failed");
    }
    signature.assign(reinterpret_cast<const char*>(mac), length);
  } else {
    absl::StatusOr<std::string> signed_bytes =
        SignWithKey(pkey.get(), algorithm, input);
    if (!signed_bytes.ok()) return signed_bytes.status();
    signature = std::move(*signed_bytes);
  }
  return absl::StrCat(input, ".", Encode(signature));
}

absl::StatusOr<std::string> MintDevTokenFromFile(const std::string& path,
                                                 const DevTokenClaims& claims,
                                                 absl::Time now) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read the key file ", path, ": ", std::strerror(errno)));
  }
  std::string key(kMaxKeyFileBytes + 1, '\0');
  file.read(key.data(), static_cast<std::streamsize>(key.size()));
  key.resize(static_cast<size_t>(file.gcount()));
  if (key.size() > kMaxKeyFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("the key file ", path, " is too large"));
  }
  const bool hmac_secret = absl::EndsWith(path, ".secret");
  if (hmac_secret) key = std::string(absl::StripAsciiWhitespace(key));
  absl::StatusOr<std::string> token =
      MintDevToken(key, hmac_secret, claims, now);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat(path, ": ", token.status().message()));
  }
  return token;
}

std::string KeyIdFromPath(absl::string_view path) {
  const size_t slash = path.rfind('/');
  absl::string_view name =
      slash == absl::string_view::npos ? path : path.substr(slash + 1);
  for (absl::string_view suffix : {".private.pem", ".secret"}) {
    if (absl::EndsWith(name, suffix) && name.size() > suffix.size()) {
      return std::string(name.substr(0, name.size() - suffix.size()));
    }
  }
  return "";
}

}  // namespace bastion::cli
