// Load-time parsing and checking of verification keys.
#include "services/authn/jwt/key.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bastion::authn::jwt {
namespace {

AlgorithmSet DefaultAlgorithms(KeyType type) {
  switch (type) {
    case KeyType::kHmac:
      return {Algorithm::kHS256};
    case KeyType::kRsa:
      return {Algorithm::kRS256};
    case KeyType::kEcP256:
      return {Algorithm::kES256};
    case KeyType::kEcP384:
      return {Algorithm::kES384};
    case KeyType::kEcP521:
      return {Algorithm::kES512};
    case KeyType::kEd25519:
      return {Algorithm::kEdDSA};
  }
  return {};
}

absl::StatusOr<AlgorithmSet> ResolveAllowed(KeyType type, AlgorithmSet allowed,
                                            absl::string_view kid) {
  if (allowed.empty()) return DefaultAlgorithms(type);
  const AlgorithmSet compatible = VerificationKey::CompatibleAlgorithms(type);
  if (!allowed.IsSubsetOf(compatible)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key '", kid, "': algorithms ", allowed.ToString(),
        " do not fit the key type (allowed: ", compatible.ToString(), ")"));
  }
  return allowed;
}

absl::Status CheckKid(absl::string_view kid) {
  if (kid.empty() || IsAcceptableKid(kid)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "kid must be <= 256 bytes of printable ASCII without '/', '\\', '..'");
}

}  // namespace

bool IsAcceptableKid(absl::string_view kid) {
  if (kid.empty() || kid.size() > kMaxKidBytes) return false;
  for (char c : kid) {
    if (c < 0x21 || c > 0x7E || c == '/' || c == '\\') return false;
  }
  return !absl::StrContains(kid, "..");
}

VerificationKey::~VerificationKey() {
  if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

void VerificationKey::BuildTemplates() {
  for (int i = 0; i < kAlgorithmCount; ++i) {
    const Algorithm alg = static_cast<Algorithm>(i);
    if (!allowed_.Contains(alg)) continue;
    if (type_ == KeyType::kHmac) {
      hmac_templates_[i] = NewHmacContext(secret_, alg);
      continue;
    }
    EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    EvpMdCtxPtr probe(EVP_MD_CTX_new());
    // Keep the template only if copying it works for this key type.
    if (ctx != nullptr && probe != nullptr &&
        InitJwsVerify(ctx.get(), pkey_.get(), alg) &&
        EVP_MD_CTX_copy_ex(probe.get(), ctx.get()) == 1) {
      verify_templates_[i] = std::move(ctx);
    }
  }
  ERR_clear_error();
}

AlgorithmSet VerificationKey::CompatibleAlgorithms(KeyType type) {
  switch (type) {
    case KeyType::kHmac:
      return AlgorithmSet::Family(AlgorithmFamily::kHmac);
    case KeyType::kRsa: {
      AlgorithmSet set = AlgorithmSet::Family(AlgorithmFamily::kRsaPkcs1);
      for (Algorithm a :
           {Algorithm::kPS256, Algorithm::kPS384, Algorithm::kPS512}) {
        set.Add(a);
      }
      return set;
    }
    default:
      return DefaultAlgorithms(type);
  }
}

absl::StatusOr<std::shared_ptr<const VerificationKey>>
VerificationKey::FromHmacSecret(absl::string_view secret, absl::string_view kid,
                                AlgorithmSet allowed) {
  if (absl::Status st = CheckKid(kid); !st.ok()) return st;
  auto resolved = ResolveAllowed(KeyType::kHmac, allowed, kid);
  if (!resolved.ok()) return resolved.status();
  int longest = 0;
  for (int i = 0; i < kAlgorithmCount; ++i) {
    const Algorithm a = static_cast<Algorithm>(i);
    if (resolved->Contains(a)) longest = std::max(longest, DigestSize(a));
  }
  if (secret.size() < static_cast<size_t>(longest)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key '", kid, "': HMAC secret of ", secret.size(),
                     " bytes is shorter than the ", longest,
                     "-byte hash output of ", resolved->ToString()));
  }
  std::shared_ptr<VerificationKey> key(new VerificationKey());
  key->type_ = KeyType::kHmac;
  key->kid_ = std::string(kid);
  key->allowed_ = *resolved;
  key->secret_ = std::string(secret);
  key->size_bytes_ = static_cast<int>(secret.size());
  key->BuildTemplates();
  return std::shared_ptr<const VerificationKey>(std::move(key));
}

absl::StatusOr<std::shared_ptr<const VerificationKey>>
VerificationKey::FromPublicKeyPem(absl::string_view pem, absl::string_view kid,
                                  AlgorithmSet allowed) {
  if (pem.size() > 64 * 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("key '", kid, "': PEM too large"));
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  EvpPkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "key '", kid, "': not a PEM public key: ", DrainOpenSslErrors()));
  }
  return FromPublicKey(std::move(pkey), kid, allowed);
}

absl::StatusOr<std::shared_ptr<const VerificationKey>>
VerificationKey::FromPublicKey(EvpPkeyPtr pkey, absl::string_view kid,
                               AlgorithmSet allowed) {
  if (pkey == nullptr) return absl::InvalidArgumentError("null key");
  if (absl::Status st = CheckKid(kid); !st.ok()) return st;
  std::shared_ptr<VerificationKey> key(new VerificationKey());
  key->kid_ = std::string(kid);
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(pkey.get());
      if (bits < kMinRsaBits) {
        return absl::InvalidArgumentError(
            absl::StrCat("key '", kid, "': RSA key of ", bits,
                         " bits is below the minimum of ", kMinRsaBits));
      }
      key->type_ = KeyType::kRsa;
      key->size_bytes_ = EVP_PKEY_get_size(pkey.get());
      break;
    }
    case EVP_PKEY_EC: {
      char group[64] = {0};
      size_t len = 0;
      if (EVP_PKEY_get_group_name(pkey.get(), group, sizeof(group), &len) !=
          1) {
        return absl::InvalidArgumentError(
            absl::StrCat("key '", kid, "': EC key without a named curve"));
      }
      const absl::string_view name(group, len);
      int nid = NID_undef;
      if (name == "prime256v1" || name == "P-256") {
        key->type_ = KeyType::kEcP256;
        key->size_bytes_ = 32;
        nid = NID_X9_62_prime256v1;
      } else if (name == "secp384r1" || name == "P-384") {
        key->type_ = KeyType::kEcP384;
        key->size_bytes_ = 48;
        nid = NID_secp384r1;
      } else if (name == "secp521r1" || name == "P-521") {
        key->type_ = KeyType::kEcP521;
        key->size_bytes_ = 66;
        nid = NID_secp521r1;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("key '", kid, "': unsupported EC curve ", name));
      }
      std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> ec_group(
          EC_GROUP_new_by_curve_name(nid), &EC_GROUP_free);
      if (ec_group == nullptr) return absl::InternalError("EC group");
      key->ec_order_.reset(BN_dup(EC_GROUP_get0_order(ec_group.get())));
      if (key->ec_order_ == nullptr) return absl::InternalError("BN_dup");
      break;
    }
    case EVP_PKEY_ED25519:
      key->type_ = KeyType::kEd25519;
      key->size_bytes_ = 32;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("key '", kid, "': unsupported public key type ",
                       EVP_PKEY_get0_type_name(pkey.get()) == nullptr
                           ? "?"
                           : EVP_PKEY_get0_type_name(pkey.get())));
  }
  auto resolved = ResolveAllowed(key->type_, allowed, kid);
  if (!resolved.ok()) return resolved.status();
  key->allowed_ = *resolved;
  key->pkey_ = std::move(pkey);
  key->BuildTemplates();
  return std::shared_ptr<const VerificationKey>(std::move(key));
}

}  // namespace bastion::authn::jwt
