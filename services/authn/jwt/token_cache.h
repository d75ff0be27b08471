// A bounded LRU cache of verified tokens keyed by the SHA-256 digest of the
// token text, so a repeated token skips parsing and signature work. An entry
// never outlives the token's "exp" (checked on lookup against the caller's
// clock) nor the key set that verified it (checked by generation).
#ifndef BASTION_SERVICES_AUTHN_JWT_TOKEN_CACHE_H_
#define BASTION_SERVICES_AUTHN_JWT_TOKEN_CACHE_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <list>
#include <optional>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/authn/jwt/verified_token.h"

namespace bastion::authn::jwt {

using TokenDigest = std::array<uint8_t, 32>;

// SHA-256 of `token`; false only if OpenSSL fails (then do not cache).
bool DigestToken(absl::string_view token, TokenDigest* out);

// Thread-safe (one absl::Mutex; lookups reorder the LRU list).
class VerifiedTokenCache {
 public:
  // `capacity` 0 disables caching.
  explicit VerifiedTokenCache(size_t capacity) : capacity_(capacity) {}

  // The cached token if present, verified under `key_generation`, and
  // now < exp. Stale entries are dropped.
  std::optional<VerifiedToken> Lookup(const TokenDigest& digest, absl::Time now,
                                      uint64_t key_generation);
  // Inserts or replaces; evicts the least recently used entry when full.
  void Insert(const TokenDigest& digest, const VerifiedToken& token,
              uint64_t key_generation);

  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    TokenDigest digest;
    VerifiedToken token;
    uint64_t key_generation;
  };
  struct DigestHash {
    size_t operator()(const TokenDigest& d) const {
      size_t h;  // The digest is already uniformly distributed.
      std::memcpy(&h, d.data(), sizeof(h));
      return h;
    }
  };

  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::list<Entry> lru_ ABSL_GUARDED_BY(mu_);  // Front = most recent.
  std::unordered_map<TokenDigest, std::list<Entry>::iterator, DigestHash> index_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_TOKEN_CACHE_H_
