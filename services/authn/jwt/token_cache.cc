// LRU verified-token cache; see token_cache.h.
#include "services/authn/jwt/token_cache.h"

#include <openssl/evp.h>

#include "services/authn/jwt/openssl_util.h"

namespace bastion::authn::jwt {

bool DigestToken(absl::string_view token, TokenDigest* out) {
  unsigned int len = 0;
  return EVP_Digest(token.data(), token.size(), out->data(), &len, Sha256(),
                    nullptr) == 1 &&
         len == out->size();
}

std::optional<VerifiedToken> VerifiedTokenCache::Lookup(
    const TokenDigest& digest, absl::Time now, uint64_t key_generation) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(digest);
  if (it == index_.end()) return std::nullopt;
  const Entry& entry = *it->second;
  if (entry.key_generation != key_generation ||
      absl::ToUnixSeconds(now) >= entry.token.expires_at_unix) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return entry.token;
}

void VerifiedTokenCache::Insert(const TokenDigest& digest,
                                const VerifiedToken& token,
                                uint64_t key_generation) {
  if (capacity_ == 0) return;
  absl::MutexLock lock(&mu_);
  if (auto it = index_.find(digest); it != index_.end()) {
    it->second->token = token;
    it->second->key_generation = key_generation;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (lru_.size() >= capacity_) {
    index_.erase(lru_.back().digest);
    lru_.pop_back();
  }
  lru_.push_front(Entry{digest, token, key_generation});
  index_.emplace(digest, lru_.begin());
}

size_t VerifiedTokenCache::size() const {
  absl::MutexLock lock(&mu_);
  return lru_.size();
}

}  // namespace bastion::authn::jwt
