// libFuzzer target over the JWT parser and verifier. The first input byte
// picks a mode:
//   0: the rest is a compact token, verified (uncached and cached);
//   1: the rest is "<header JSON>\0<payload JSON>", which the fuzzer signs
//      with the embedded HMAC secret so the payload parser and the claims
//      rules are reached with authentic tokens;
//   2: the rest is fed to the JSON parser and the JWKS loader;
//   3: the rest is base64url-decoded and must re-encode to itself;
//   4: the rest is an OpenID discovery document (what a provider answers);
//   5: the rest is a Cache-Control header of a JWKS answer.
// Built outside Bazel by run_fuzzer.sh with
// -fsanitize=fuzzer,address,undefined.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/authn/jwt/base64url.h"
#include "services/authn/jwt/cache_control.h"
#include "services/authn/jwt/fuzz/fuzz_env.h"
#include "services/authn/jwt/https_fetcher.h"
#include "services/authn/jwt/json.h"
#include "services/authn/jwt/jwks.h"
#include "services/authn/jwt/oidc_discovery.h"
#include "services/authn/jwt/reason.h"

namespace bastion::authn::jwt::fuzz {
namespace {

void Invariant(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

void CheckResult(const absl::StatusOr<VerifiedToken>& result) {
  if (result.ok()) {
    // Anything accepted must satisfy the policy the verifier promises.
    Invariant(!result->subject.empty(), "empty subject accepted");
    Invariant(result->issuer == "https://issuer.fuzz", "foreign issuer");
    Invariant(result->expires_at_unix > kFuzzNow - 60, "expired accepted");
    Invariant(!result->algorithm.empty(), "no algorithm");
  } else {
    Invariant(result.status().code() == absl::StatusCode::kUnauthenticated,
              "rejection not UNAUTHENTICATED");
    Invariant(ReasonOf(result.status()) != Reason::kNone, "no reason");
  }
}

std::string HmacSign(absl::string_view input) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kHmacSecret, sizeof(kHmacSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

}  // namespace
}  // namespace bastion::authn::jwt::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bastion::authn::jwt;        // NOLINT
  using namespace bastion::authn::jwt::fuzz;  // NOLINT
  if (size == 0) return 0;
  FuzzEnv& env = FuzzEnv::Get();
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  switch (data[0] % 6) {
    case 0: {
      const absl::StatusOr<VerifiedToken> plain = env.verifier->Verify(rest);
      CheckResult(plain);
      const absl::StatusOr<VerifiedToken> cached = env.cached->Verify(rest);
      CheckResult(cached);
      Invariant(plain.ok() == cached.ok(), "cache changed the verdict");
      break;
    }
    case 1: {
      const size_t nul = rest.find('\0');
      if (nul == absl::string_view::npos) return 0;
      const std::string input =
          absl::StrCat(Base64UrlEncode(rest.substr(0, nul)), ".",
                       Base64UrlEncode(rest.substr(nul + 1)));
      const std::string token =
          absl::StrCat(input, ".", Base64UrlEncode(HmacSign(input)));
      CheckResult(env.verifier->Verify(token));
      break;
    }
    case 2: {
      JsonError error;
      std::optional<JsonValue> v = ParseJson(rest, &error);
      Invariant(v.has_value() == (error.kind == JsonErrorKind::kNone),
                "json error kind");
      Invariant(error.offset <= rest.size(), "json error offset");
      (void)ParseJwks(rest);
      break;
    }
    case 3: {
      std::string decoded;
      if (Base64UrlDecode(rest, &decoded)) {
        Invariant(Base64UrlEncode(decoded) == rest, "base64url not canonical");
      }
      break;
    }
    case 4: {
      const absl::StatusOr<std::string> uri =
          JwksUriFromDiscovery(rest, "https://issuer.fuzz");
      Invariant(uri.ok() || uri.status().code() ==
                                absl::StatusCode::kInvalidArgument,
                "discovery error not INVALID_ARGUMENT");
      Invariant(!uri.ok() || CheckHttpsUrl(*uri).ok(),
                "discovery accepted a non-https jwks_uri");
      break;
    }
    case 5: {
      const std::optional<absl::Duration> max_age = CacheControlMaxAge(rest);
      Invariant(!max_age.has_value() ||
                    (*max_age >= absl::ZeroDuration() &&
                     *max_age <= absl::Seconds(2147483647)),
                "max-age out of range");
      break;
    }
  }
  return 0;
}
