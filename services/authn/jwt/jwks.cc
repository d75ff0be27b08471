// JWKS → KeySet; see jwks.h.
#include "services/authn/jwt/jwks.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/authn/jwt/base64url.h"
#include "services/authn/jwt/json.h"
#include "services/authn/jwt/openssl_util.h"

namespace bastion::authn::jwt {
namespace {

struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

absl::Status KeyError(size_t index, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("JWKS key #", index, ": ", what));
}

// Decodes the base64url member `name`; `required` or fails if absent.
absl::StatusOr<std::string> Member(const JsonValue& jwk, absl::string_view name,
                                   size_t index) {
  const JsonValue* v = jwk.Find(name);
  if (v == nullptr)
    return KeyError(index, absl::StrCat("missing \"", name, "\""));
  std::string out;
  if (!v->is_string() || !Base64UrlDecode(v->string_value(), &out) ||
      out.empty()) {
    return KeyError(index, absl::StrCat("\"", name, "\" is not base64url"));
  }
  return out;
}

absl::StatusOr<EvpPkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld,
                                    size_t index) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(
      OSSL_PARAM_BLD_to_param(bld));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr ||
      EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) !=
          1) {
    return KeyError(
        index, absl::StrCat("invalid ", type, " key: ", DrainOpenSslErrors()));
  }
  EvpPkeyPtr pkey(raw);
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return KeyError(
        index, absl::StrCat("public key check failed: ", DrainOpenSslErrors()));
  }
  return pkey;
}

absl::StatusOr<EvpPkeyPtr> RsaKey(const JsonValue& jwk, size_t index) {
  auto n = Member(jwk, "n", index);
  if (!n.ok()) return n.status();
  auto e = Member(jwk, "e", index);
  if (!e.ok()) return e.status();
  BignumPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                           static_cast<int>(n->size()), nullptr));
  BignumPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                           static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) !=
          1) {
    return KeyError(index, "cannot build RSA parameters");
  }
  return FromData("RSA", bld.get(), index);
}

absl::StatusOr<EvpPkeyPtr> EcKey(const JsonValue& jwk, absl::string_view crv,
                                 size_t index) {
  const char* group = nullptr;
  size_t size = 0;
  if (crv == "P-256") {
    group = "prime256v1";
    size = 32;
  } else if (crv == "P-384") {
    group = "secp384r1";
    size = 48;
  } else if (crv == "P-521") {
    group = "secp521r1";
    size = 66;
  } else {
    return KeyError(index, absl::StrCat("unsupported EC crv \"", crv, "\""));
  }
  auto x = Member(jwk, "x", index);
  if (!x.ok()) return x.status();
  auto y = Member(jwk, "y", index);
  if (!y.ok()) return y.status();
  if (x->size() != size || y->size() != size) {
    return KeyError(index, "EC x/y length does not fit crv");
  }
  std::string point = "\x04" + *x + *y;
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return KeyError(index, "cannot build EC parameters");
  }
  return FromData("EC", bld.get(), index);
}

absl::StatusOr<EvpPkeyPtr> OkpKey(const JsonValue& jwk, absl::string_view crv,
                                  size_t index) {
  if (crv != "Ed25519") {
    return KeyError(index, absl::StrCat("unsupported OKP crv \"", crv, "\""));
  }
  auto x = Member(jwk, "x", index);
  if (!x.ok()) return x.status();
  if (x->size() != 32) return KeyError(index, "Ed25519 x must be 32 bytes");
  EvpPkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr,
      reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (pkey == nullptr) return KeyError(index, "invalid Ed25519 key");
  return pkey;
}

absl::StatusOr<std::shared_ptr<const VerificationKey>> ParseKey(
    const JsonValue& jwk, size_t index, const JwksOptions& options) {
  if (!jwk.is_object()) return KeyError(index, "not an object");
  const JsonValue* kty = jwk.Find("kty");
  if (kty == nullptr || !kty->is_string()) {
    return KeyError(index, "\"kty\" missing or not a string");
  }
  std::string kid;
  if (const JsonValue* v = jwk.Find("kid"); v != nullptr) {
    if (!v->is_string() || v->string_value().empty() ||
        v->string_value().size() > 256) {
      return KeyError(index, "\"kid\" must be a non-empty string <= 256 bytes");
    }
    kid = v->string_value();
  }
  if (const JsonValue* v = jwk.Find("use"); v != nullptr) {
    if (!v->is_string() || v->string_value() != "sig") {
      return KeyError(index, "\"use\" is not \"sig\"");
    }
  }
  if (const JsonValue* v = jwk.Find("key_ops"); v != nullptr) {
    bool verify = false;
    if (v->is_array()) {
      for (const JsonValue& op : v->array_items()) {
        if (!op.is_string()) return KeyError(index, "bad \"key_ops\"");
        if (op.string_value() == "verify") verify = true;
      }
    }
    if (!verify) return KeyError(index, "\"key_ops\" lacks \"verify\"");
  }
  AlgorithmSet allowed;
  if (const JsonValue* v = jwk.Find("alg"); v != nullptr) {
    std::optional<Algorithm> alg;
    if (v->is_string()) alg = AlgorithmFromName(v->string_value());
    if (!alg.has_value()) {
      return KeyError(index, "\"alg\" is not a supported JWS algorithm");
    }
    allowed.Add(*alg);
  }
  std::string crv;
  if (const JsonValue* v = jwk.Find("crv"); v != nullptr) {
    if (!v->is_string()) return KeyError(index, "\"crv\" is not a string");
    crv = v->string_value();
  }
  const std::string& type = kty->string_value();
  if (type != "oct") {
    for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
      if (jwk.Find(priv) != nullptr) {
        return KeyError(index,
                        absl::StrCat("private member \"", priv, "\" present"));
      }
    }
  }
  absl::StatusOr<EvpPkeyPtr> pkey;
  if (type == "RSA") {
    if (!crv.empty()) return KeyError(index, "RSA key with \"crv\"");
    if (allowed.empty()) allowed = options.rsa_default_algorithms;
    pkey = RsaKey(jwk, index);
  } else if (type == "EC") {
    pkey = EcKey(jwk, crv, index);
  } else if (type == "OKP") {
    pkey = OkpKey(jwk, crv, index);
  } else if (type == "oct") {
    if (!crv.empty()) return KeyError(index, "oct key with \"crv\"");
    auto k = Member(jwk, "k", index);
    if (!k.ok()) return k.status();
    auto key = VerificationKey::FromHmacSecret(*k, kid, allowed);
    if (!key.ok()) return KeyError(index, key.status().message());
    return key;
  } else {
    return KeyError(index, absl::StrCat("unsupported kty \"", type, "\""));
  }
  if (!pkey.ok()) return pkey.status();
  auto key = VerificationKey::FromPublicKey(*std::move(pkey), kid, allowed);
  if (!key.ok()) return KeyError(index, key.status().message());
  return key;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const KeySet>> ParseJwks(
    absl::string_view document, const JwksOptions& options) {
  if (document.size() > options.max_document_bytes) {
    return absl::InvalidArgumentError("JWKS document too large");
  }
  JsonError error;
  std::optional<JsonValue> root = ParseJson(document, &error);
  if (!root.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS is not valid JSON (", JsonErrorKindName(error.kind),
                     " at byte ", error.offset, ")"));
  }
  const JsonValue* keys = root->Find("keys");
  if (keys == nullptr || !keys->is_array()) {
    return absl::InvalidArgumentError("JWKS has no \"keys\" array");
  }
  if (keys->array_items().size() > options.max_keys) {
    return absl::InvalidArgumentError("JWKS has too many keys");
  }
  std::vector<std::shared_ptr<const VerificationKey>> parsed;
  for (size_t i = 0; i < keys->array_items().size(); ++i) {
    auto key = ParseKey(keys->array_items()[i], i, options);
    if (!key.ok()) return key.status();
    parsed.push_back(*std::move(key));
  }
  return KeySet::Create(std::move(parsed));
}

}  // namespace bastion::authn::jwt
