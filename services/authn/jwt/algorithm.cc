// Algorithm names, families and digest sizes.
#include "services/authn/jwt/algorithm.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace bastion::authn::jwt {
namespace {

struct AlgInfo {
  Algorithm alg;
  absl::string_view name;
  AlgorithmFamily family;
  int digest_size;
};

constexpr AlgInfo kAlgs[kAlgorithmCount] = {
    {Algorithm::kHS256, "HS256", AlgorithmFamily::kHmac, 32},
    {Algorithm::kHS384, "HS384", AlgorithmFamily::kHmac, 48},
    {Algorithm::kHS512, "HS512", AlgorithmFamily::kHmac, 64},
    {Algorithm::kRS256, "RS256", AlgorithmFamily::kRsaPkcs1, 32},
    {Algorithm::kRS384, "RS384", AlgorithmFamily::kRsaPkcs1, 48},
    {Algorithm::kRS512, "RS512", AlgorithmFamily::kRsaPkcs1, 64},
    {Algorithm::kPS256, "PS256", AlgorithmFamily::kRsaPss, 32},
    {Algorithm::kPS384, "PS384", AlgorithmFamily::kRsaPss, 48},
    {Algorithm::kPS512, "PS512", AlgorithmFamily::kRsaPss, 64},
    {Algorithm::kES256, "ES256", AlgorithmFamily::kEcdsa, 32},
    {Algorithm::kES384, "ES384", AlgorithmFamily::kEcdsa, 48},
    {Algorithm::kES512, "ES512", AlgorithmFamily::kEcdsa, 64},
    {Algorithm::kEdDSA, "EdDSA", AlgorithmFamily::kEdDSA, 0},
};

const AlgInfo& Info(Algorithm alg) { return kAlgs[static_cast<int>(alg)]; }

}  // namespace

absl::string_view AlgorithmName(Algorithm alg) { return Info(alg).name; }

std::optional<Algorithm> AlgorithmFromName(absl::string_view name) {
  for (const AlgInfo& info : kAlgs) {
    if (info.name == name) return info.alg;
  }
  return std::nullopt;
}

AlgorithmFamily FamilyOf(Algorithm alg) { return Info(alg).family; }

int DigestSize(Algorithm alg) { return Info(alg).digest_size; }

std::string AlgorithmSet::ToString() const {
  std::vector<absl::string_view> names;
  for (const AlgInfo& info : kAlgs) {
    if (Contains(info.alg)) names.push_back(info.name);
  }
  return absl::StrJoin(names, ",");
}

AlgorithmSet AlgorithmSet::Family(AlgorithmFamily family) {
  AlgorithmSet set;
  for (const AlgInfo& info : kAlgs) {
    if (info.family == family) set.Add(info.alg);
  }
  return set;
}

absl::StatusOr<AlgorithmSet> ParseAlgorithmSet(absl::string_view list) {
  AlgorithmSet set;
  for (absl::string_view name : absl::StrSplit(list, ',')) {
    name = absl::StripAsciiWhitespace(name);
    std::optional<Algorithm> alg = AlgorithmFromName(name);
    if (!alg.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported JWS algorithm \"", name, "\""));
    }
    set.Add(*alg);
  }
  return set;
}

}  // namespace bastion::authn::jwt
