// Verification key set; see key_set.h.
#include "common/assertion/key_set.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/assertion/assertion_limits.h"

namespace bastion::assertion {

using ::bastion::common::v1::AssertionKey;

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Create(
    const std::vector<AssertionKey>& keys) {
  std::shared_ptr<KeySet> set(new KeySet());
  for (const AssertionKey& key : keys) {
    const std::string name =
        absl::StrCat("assertion key \"", absl::CEscape(key.key_id()), "\"");
    if (key.algorithm() != kAlgorithm) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": algorithm must be \"", kAlgorithm, "\""));
    }
    absl::StatusOr<internal::PkeyPtr> pkey =
        internal::PublicKeyFromRaw(key.public_key());
    if (!pkey.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": ", pkey.status().message()));
    }
    if (key.key_id() != internal::KeyIdOf(key.public_key())) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": key_id is not derived from the public key"));
    }
    Entry entry{key, *std::move(pkey)};
    if (!set->keys_.emplace(key.key_id(), std::move(entry)).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": listed twice"));
    }
  }
  return std::shared_ptr<const KeySet>(std::move(set));
}

bool KeySet::Contains(absl::string_view key_id) const {
  return keys_.find(key_id) != keys_.end();
}

bool KeySet::VerifySignature(absl::string_view key_id,
                             absl::string_view message,
                             absl::string_view signature) const {
  auto it = keys_.find(key_id);
  if (it == keys_.end()) return false;
  return internal::Verify(it->second.pkey.get(), message, signature);
}

std::vector<AssertionKey> KeySet::keys() const {
  std::vector<AssertionKey> out;
  out.reserve(keys_.size());
  for (const auto& [id, entry] : keys_) out.push_back(entry.key);
  return out;
}

}  // namespace bastion::assertion
