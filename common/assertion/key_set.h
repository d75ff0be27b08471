// Verification keys for principal assertions: an immutable, parsed KeySet and
// the KeyProvider seam through which a verifier obtains the current one.
#ifndef BASTION_COMMON_ASSERTION_KEY_SET_H_
#define BASTION_COMMON_ASSERTION_KEY_SET_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "common/assertion/ed25519.h"

namespace bastion::assertion {

// authn's assertion public keys, each parsed into an OpenSSL key once, when
// the set is created, never per verification. Immutable; share it as
// std::shared_ptr<const KeySet>. Thread-safe.
class KeySet {
 public:
  // Validates and parses every key: algorithm must be "EdDSA", public_key
  // exactly 32 bytes, key_id equal to the id derived from the key (first 16
  // hex chars of its SHA-256), no key_id twice. INVALID_ARGUMENT naming the
  // key otherwise. An empty list makes a set that verifies nothing.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Create(
      const std::vector<bastion::common::v1::AssertionKey>& keys);

  // True if a key with this id is in the set.
  bool Contains(absl::string_view key_id) const;

  // True only if the set holds `key_id` and `signature` is a valid Ed25519
  // signature (exactly 64 bytes, OpenSSL verify result exactly 1) by that key
  // over `message`.
  bool VerifySignature(absl::string_view key_id, absl::string_view message,
                       absl::string_view signature) const;

  // The keys as given (for serving or logging key ids), sorted by key_id.
  std::vector<bastion::common::v1::AssertionKey> keys() const;
  std::size_t size() const { return keys_.size(); }

 private:
  struct Entry {
    bastion::common::v1::AssertionKey key;
    internal::PkeyPtr pkey;
  };
  KeySet() = default;

  std::map<std::string, Entry, std::less<>> keys_;
};

// Where a verifier gets the current keys. A seam: StaticKeyProvider in tests
// and wherever keys are configured locally; a remote implementation (fetching
// authn's GetAssertionKeys and caching the result) in the other services.
//
// Contract for implementations:
//  - Thread-safe; Keys() is called on every verification, so it must be
//    cheap (return a cached snapshot, never do I/O on the caller's thread
//    unless it has nothing cached yet).
//  - An error means "could not decide": the verifier fails closed with
//    UNAVAILABLE, never treats it as a verdict on the assertion.
//  - KeysAfterMiss() is called when an assertion names a key id that the
//    set returned by Keys() lacks (authn may have rotated). A remote
//    implementation may re-fetch, rate-limited so that unknown ids sent by
//    an attacker cannot make it hammer authn, and return the fresh set.
class KeyProvider {
 public:
  virtual ~KeyProvider() = default;

  virtual absl::StatusOr<std::shared_ptr<const KeySet>> Keys() = 0;

  virtual absl::StatusOr<std::shared_ptr<const KeySet>> KeysAfterMiss(
      absl::string_view /*key_id*/) {
    return Keys();
  }
};

// A fixed key set. Thread-safe.
class StaticKeyProvider final : public KeyProvider {
 public:
  explicit StaticKeyProvider(std::shared_ptr<const KeySet> keys)
      : keys_(std::move(keys)) {}

  absl::StatusOr<std::shared_ptr<const KeySet>> Keys() override {
    return keys_;
  }

 private:
  const std::shared_ptr<const KeySet> keys_;
};

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_KEY_SET_H_
