// Fixed key material and verifiers shared by the fuzz target and its seed
// corpus test. Public keys only; the private halves were used once to mint
// the checked-in seed tokens (corpus/) with PyJWT and then discarded.
#ifndef BASTION_SERVICES_AUTHN_JWT_FUZZ_FUZZ_ENV_H_
#define BASTION_SERVICES_AUTHN_JWT_FUZZ_FUZZ_ENV_H_

#include <cstdlib>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "common/clock/fake_clock.h"
#include "services/authn/jwt/jwt_verifier.h"
#include "services/authn/jwt/key.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/token_cache.h"

namespace bastion::authn::jwt::fuzz {

inline constexpr char kEcPem[] = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3a+M+SVB5aN462gX7nPnJVbEz+WE
Z/3SZavYhMC91mzHtElCR34MGJImVFI6YzP43Fr/wVGTZhbnf1xtx8JK7A==
-----END PUBLIC KEY-----
)";
inline constexpr char kEdPem[] = R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAEXYv07onoReUTSw8Hns56/MqMIZlgbcAAiD/ljiEt4A=
-----END PUBLIC KEY-----
)";
inline constexpr char kRsaPem[] = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr/gLPDD1yaJ3IuWJLLd4
sZWWsIEqenl8+1LgUsoXvNcf7JJemiO3z8ZxRdbnaq9U1npDZcdlaM1WWzm+Xwx+
v9sBzhaGbe35CWdFNfga6+J/K5sUTVsbIrzsLlUjvi/qX6TE1GzT4QmnNX7QMc0c
QkNT4HQ3b8hu+IEQN10RfD/2dGhgp+pysVeSXlxoAaiVK7ixdC2igCdKTXBVmtaS
n/7X95CUdeAuJszDvXmDpbsSosmtUMPMwXp1gVN1ckWzv4QqI+iIWV2PhgGLAZcp
HlqJEy33z0r+PKTZbEJyZ3limemQ07gt/kjt+Nshd4Se/hJMSbLmlG2BMwAyVAMW
CwIDAQAB
-----END PUBLIC KEY-----
)";
inline constexpr char kHmacSecret[] = "fuzz-hmac-secret-0123456789abcdef";
inline constexpr int64_t kFuzzNow = 1700000000;

// Process-lifetime verifiers over the fixed keys. Thread-safe.
struct FuzzEnv {
  FakeClock clock{absl::FromUnixSeconds(kFuzzNow)};
  std::unique_ptr<JwtVerifier> verifier;
  std::unique_ptr<JwtVerifier> cached;

  FuzzEnv() {
    std::vector<std::shared_ptr<const VerificationKey>> keys;
    keys.push_back(Must(VerificationKey::FromPublicKeyPem(kEcPem, "ec", {})));
    keys.push_back(Must(VerificationKey::FromPublicKeyPem(kEdPem, "ed", {})));
    keys.push_back(Must(VerificationKey::FromPublicKeyPem(
        kRsaPem, "rsa", {Algorithm::kRS256, Algorithm::kPS256})));
    keys.push_back(
        Must(VerificationKey::FromHmacSecret(kHmacSecret, "hs", {})));
    keys.push_back(Must(VerificationKey::FromHmacSecret(kHmacSecret, "", {})));
    auto source = std::make_shared<StaticKeySource>(Must(KeySet::Create(keys)));
    JwtVerifierOptions options;
    options.claims.allowed_issuers = {"https://issuer.fuzz"};
    options.claims.audiences = {"bastion"};
    options.claims.default_tenant = "default";
    verifier = Must(JwtVerifier::Create(options, source, &clock));
    cached = Must(JwtVerifier::Create(
        options, source, &clock, std::make_shared<VerifiedTokenCache>(64)));
  }

  template <typename T>
  static T Must(absl::StatusOr<T> v) {
    if (!v.ok()) {
      std::cerr << "fuzz env: " << v.status() << "\n";
      std::abort();
    }
    return *std::move(v);
  }

  static FuzzEnv& Get() {
    static FuzzEnv* const env = new FuzzEnv();
    return *env;
  }
};

}  // namespace bastion::authn::jwt::fuzz

#endif  // BASTION_SERVICES_AUTHN_JWT_FUZZ_FUZZ_ENV_H_
