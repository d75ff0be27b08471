// KeySet construction.
#include "services/authn/jwt/key_set.h"

#include <atomic>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bastion::authn::jwt {

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Create(
    std::vector<std::shared_ptr<const VerificationKey>> keys) {
  static std::atomic<uint64_t> next_generation{1};
  if (keys.empty()) return absl::InvalidArgumentError("key set is empty");
  std::shared_ptr<KeySet> set(new KeySet());
  for (const auto& key : keys) {
    if (key == nullptr) return absl::InvalidArgumentError("null key");
    if (key->kid().empty()) {
      set->default_keys_.push_back(key.get());
    } else if (!set->by_kid_.emplace(key->kid(), key.get()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate kid '", key->kid(), "'"));
    }
  }
  set->keys_ = std::move(keys);
  set->generation_ = next_generation.fetch_add(1, std::memory_order_relaxed);
  return std::shared_ptr<const KeySet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const KeySet>> LoadKeySet(
    const std::vector<KeySpec>& specs) {
  std::vector<std::shared_ptr<const VerificationKey>> keys;
  for (size_t i = 0; i < specs.size(); ++i) {
    const KeySpec& spec = specs[i];
    if (spec.public_key_pem.empty() == spec.hmac_secret.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key #", i, ": set exactly one of public_key_pem / hmac_secret"));
    }
    auto key = spec.hmac_secret.empty()
                   ? VerificationKey::FromPublicKeyPem(
                         spec.public_key_pem, spec.kid, spec.algorithms)
                   : VerificationKey::FromHmacSecret(spec.hmac_secret, spec.kid,
                                                     spec.algorithms);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key #", i, ": ", key.status().message()));
    }
    keys.push_back(*std::move(key));
  }
  return KeySet::Create(std::move(keys));
}

}  // namespace bastion::authn::jwt
