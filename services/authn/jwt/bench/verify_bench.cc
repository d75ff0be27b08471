// Verification throughput per algorithm: our full path uncached (parse +
// header + key lookup + signature + claims), our cached path (cache hit), and
// the raw OpenSSL EVP_DigestVerify rate for the same key in the same process,
// with ratios. Each figure is the median of several timed runs.
//
//   bazel run -c opt //services/authn/jwt/bench:verify_bench -- [runs] [ms]
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock/clock.h"
#include "services/authn/jwt/base64url.h"
#include "services/authn/jwt/jwt_verifier.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/jwt/openssl_util.h"
#include "services/authn/jwt/testing/test_keys.h"

namespace bastion::authn::jwt {
namespace {

using ::bastion::authn::jwt::testing::SigningInput;
using ::bastion::authn::jwt::testing::TestKey;

// Operations per second of `op`, median over `runs` runs of `ms` each.
double MedianRate(const std::function<bool()>& op, int runs, int ms) {
  std::vector<double> rates;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::milliseconds(ms);
    long ops = 0;  // NOLINT
    auto now = start;
    while (now < deadline) {
      for (int i = 0; i < 16; ++i) {
        if (!op()) {
          std::fprintf(stderr, "operation failed\n");
          std::exit(1);
        }
      }
      ops += 16;
      now = std::chrono::steady_clock::now();
    }
    rates.push_back(ops / std::chrono::duration<double>(now - start).count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

struct Case {
  Algorithm alg;
  const TestKey* key;
  const char* key_desc;
};

int Main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const int ms = argc > 2 ? std::atoi(argv[2]) : 300;
  const TestKey rsa = TestKey::Rsa(2048);
  const TestKey p256 = TestKey::Ec(KeyType::kEcP256);
  const TestKey p384 = TestKey::Ec(KeyType::kEcP384);
  const TestKey p521 = TestKey::Ec(KeyType::kEcP521);
  const TestKey ed = TestKey::Ed25519();
  const TestKey hmac = TestKey::Hmac(std::string(64, 'k'));
  const std::vector<Case> cases = {
      {Algorithm::kRS256, &rsa, "RSA-2048"},
      {Algorithm::kRS384, &rsa, "RSA-2048"},
      {Algorithm::kRS512, &rsa, "RSA-2048"},
      {Algorithm::kPS256, &rsa, "RSA-2048"},
      {Algorithm::kPS384, &rsa, "RSA-2048"},
      {Algorithm::kPS512, &rsa, "RSA-2048"},
      {Algorithm::kES256, &p256, "P-256"},
      {Algorithm::kES384, &p384, "P-384"},
      {Algorithm::kES512, &p521, "P-521"},
      {Algorithm::kEdDSA, &ed, "Ed25519"},
      {Algorithm::kHS256, &hmac, "64B key"},
      {Algorithm::kHS384, &hmac, "64B key"},
      {Algorithm::kHS512, &hmac, "64B key"},
  };
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string claims = absl::StrCat(
      R"({"iss":"https://issuer.bench","aud":"bastion","sub":"user-1234",)",
      R"("tenant_id":"acme","scope":"read write","roles":["member"],)",
      R"("jti":"b7f3","iat":)", now, R"(,"exp":)", now + 3600, "}");

  std::printf("median of %d runs x %d ms; ops/s\n", runs, ms);
  std::printf("%-6s %-9s %12s %12s %7s %12s %9s\n", "alg", "key", "raw_openssl",
              "uncached", "ratio", "cached", "cached/un");
  for (const Case& c : cases) {
    const std::string kid = "k1";
    auto set = KeySet::Create({c.key->VerifierKey(kid, {c.alg})});
    JwtVerifierOptions options;
    options.claims.allowed_issuers = {"https://issuer.bench"};
    options.claims.audiences = {"bastion"};
    auto source = std::make_shared<StaticKeySource>(*set);
    auto uncached = *JwtVerifier::Create(options, source, SystemClock::Get());
    auto cached =
        *JwtVerifier::Create(options, source, SystemClock::Get(),
                             std::make_shared<VerifiedTokenCache>(1024));
    const std::string header = absl::StrCat(R"({"alg":")", AlgorithmName(c.alg),
                                            R"(","kid":"k1","typ":"JWT"})");
    const std::string input = SigningInput(header, claims);
    const std::string sig = c.key->Sign(c.alg, input);
    const std::string token = input + "." + Base64UrlEncode(sig);
    if (!uncached->Verify(token).ok()) {
      std::fprintf(stderr, "%s token does not verify\n",
                   std::string(AlgorithmName(c.alg)).c_str());
      return 1;
    }

    // Raw OpenSSL over the same signing input with the same parsed key. For
    // ECDSA OpenSSL takes DER, so give it DER; for HMAC, HMAC() + memcmp.
    const std::string raw_sig = FamilyOf(c.alg) == AlgorithmFamily::kEcdsa
                                    ? c.key->SignEcdsaDer(c.alg, input)
                                    : sig;
    EVP_PKEY* pkey = c.key->pkey();
    const EVP_MD* md = DigestFor(c.alg);
    const bool pss = FamilyOf(c.alg) == AlgorithmFamily::kRsaPss;
    std::function<bool()> raw;
    if (FamilyOf(c.alg) == AlgorithmFamily::kHmac) {
      raw = [&] {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        HMAC(md, c.key->secret().data(),
             static_cast<int>(c.key->secret().size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(),
             mac, &len);
        return CRYPTO_memcmp(mac, raw_sig.data(), len) == 0;
      };
    } else {
      raw = [&] {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX* pctx = nullptr;
        bool ok = EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, pkey) == 1;
        if (ok && pss) {
          ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) ==
                   1;
        }
        ok = ok &&
             EVP_DigestVerify(
                 ctx, reinterpret_cast<const unsigned char*>(raw_sig.data()),
                 raw_sig.size(),
                 reinterpret_cast<const unsigned char*>(input.data()),
                 input.size()) == 1;
        EVP_MD_CTX_free(ctx);
        return ok;
      };
    }
    const double raw_rate = MedianRate(raw, runs, ms);
    const double uncached_rate =
        MedianRate([&] { return uncached->Verify(token).ok(); }, runs, ms);
    const double cached_rate =
        MedianRate([&] { return cached->Verify(token).ok(); }, runs, ms);
    std::printf("%-6s %-9s %12.0f %12.0f %6.2fx %12.0f %8.1fx\n",
                std::string(AlgorithmName(c.alg)).c_str(), c.key_desc, raw_rate,
                uncached_rate, uncached_rate / raw_rate, cached_rate,
                cached_rate / uncached_rate);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace bastion::authn::jwt

int main(int argc, char** argv) {
  return bastion::authn::jwt::Main(argc, argv);
}
