// An immutable, ordered set of verification keys, and the KeySource seam
// through which the verifier obtains the current set (a fixed set from
// config, a JWKS file that rotates, or a provider's JWKS URL; tests
// substitute their own).
#ifndef BASTION_SERVICES_AUTHN_JWT_KEY_SET_H_
#define BASTION_SERVICES_AUTHN_JWT_KEY_SET_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/authn/jwt/key.h"

namespace bastion::authn::jwt {

// Immutable; share freely across threads via shared_ptr<const KeySet>.
class KeySet {
 public:
  // Fails (INVALID_ARGUMENT) on an empty list or a duplicate kid. Keys keep
  // their order: kid-less ("default") keys are tried in this order.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Create(
      std::vector<std::shared_ptr<const VerificationKey>> keys);

  // The key with this kid, or nullptr. No allocation, no crypto.
  const VerificationKey* FindByKid(absl::string_view kid) const {
    auto it = by_kid_.find(kid);
    return it == by_kid_.end() ? nullptr : it->second;
  }
  // Keys without a kid, in load order.
  const std::vector<const VerificationKey*>& default_keys() const {
    return default_keys_;
  }
  const std::vector<std::shared_ptr<const VerificationKey>>& keys() const {
    return keys_;
  }
  // Unique per KeySet instance in this process (changes on every rotation).
  uint64_t generation() const { return generation_; }

 private:
  KeySet() = default;

  std::vector<std::shared_ptr<const VerificationKey>> keys_;
  std::map<std::string, const VerificationKey*, std::less<>> by_kid_;
  std::vector<const VerificationKey*> default_keys_;
  uint64_t generation_ = 0;
};

// One configured key: exactly one of `public_key_pem` / `hmac_secret`.
struct KeySpec {
  std::string kid;  // Empty: a default key for tokens without "kid".
  std::string public_key_pem;
  std::string hmac_secret;
  AlgorithmSet algorithms;  // Empty: the key type's natural algorithm.
};

// Parses every spec once (see VerificationKey) into a KeySet, keeping
// order. INVALID_ARGUMENT naming the failing entry.
absl::StatusOr<std::shared_ptr<const KeySet>> LoadKeySet(
    const std::vector<KeySpec>& specs);

// Seam: where the verifier gets keys. Implementations are thread-safe and
// cheap to call on every request (no parsing on the request path).
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The current key set; never null.
  virtual std::shared_ptr<const KeySet> Current() const = 0;

  // Called when a token names a kid that the set with `seen_generation`
  // lacks. A source that can learn keys on demand (a JWKS URL) may refetch,
  // rate limited and waiting a bounded time, and returns a set newer than
  // `seen_generation` if one is current now; nullptr means "no newer set".
  // The default learns nothing: fixed keys and files never fetch for a kid.
  virtual std::shared_ptr<const KeySet> RefreshForUnknownKid(
      uint64_t /*seen_generation*/) const {
    return nullptr;
  }
};

// A fixed key set, e.g. PEM keys and HMAC secrets from config. Thread-safe.
class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(std::shared_ptr<const KeySet> keys)
      : keys_(std::move(keys)) {}
  std::shared_ptr<const KeySet> Current() const override { return keys_; }

 private:
  const std::shared_ptr<const KeySet> keys_;
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_KEY_SET_H_
