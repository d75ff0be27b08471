// JWS algorithm identifiers (RFC 7518 / RFC 8037) that Bastion verifies, and
// a small value set of them. Names are matched exactly (case-sensitive);
// "none" is never an Algorithm.
#ifndef BASTION_SERVICES_AUTHN_JWT_ALGORITHM_H_
#define BASTION_SERVICES_AUTHN_JWT_ALGORITHM_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bastion::authn::jwt {

enum class Algorithm : uint8_t {
  kHS256,
  kHS384,
  kHS512,
  kRS256,
  kRS384,
  kRS512,
  kPS256,
  kPS384,
  kPS512,
  kES256,
  kES384,
  kES512,
  kEdDSA,
};
inline constexpr int kAlgorithmCount = 13;

enum class AlgorithmFamily : uint8_t {
  kHmac,
  kRsaPkcs1,
  kRsaPss,
  kEcdsa,
  kEdDSA
};

absl::string_view AlgorithmName(Algorithm alg);
std::optional<Algorithm> AlgorithmFromName(absl::string_view name);
AlgorithmFamily FamilyOf(Algorithm alg);
// Digest output size in bytes (SHA-256/384/512); 0 for EdDSA.
int DigestSize(Algorithm alg);

// An immutable-by-value set of algorithms. Thread-compatible.
class AlgorithmSet {
 public:
  constexpr AlgorithmSet() = default;
  AlgorithmSet(std::initializer_list<Algorithm> algs) {
    for (Algorithm a : algs) Add(a);
  }
  void Add(Algorithm a) { bits_ |= Bit(a); }
  bool Contains(Algorithm a) const { return (bits_ & Bit(a)) != 0; }
  bool empty() const { return bits_ == 0; }
  bool IsSubsetOf(AlgorithmSet other) const {
    return (bits_ & ~other.bits_) == 0;
  }
  bool operator==(AlgorithmSet o) const { return bits_ == o.bits_; }
  // "RS256,PS256" in enum order; for messages.
  std::string ToString() const;

  static AlgorithmSet Family(AlgorithmFamily family);

 private:
  static uint32_t Bit(Algorithm a) {
    return uint32_t{1} << static_cast<int>(a);
  }
  uint32_t bits_ = 0;
};

// Parses a config list such as "RS256, PS256" (exact names, comma
// separated). INVALID_ARGUMENT naming the bad entry; "none" is never valid.
absl::StatusOr<AlgorithmSet> ParseAlgorithmSet(absl::string_view list);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_ALGORITHM_H_
