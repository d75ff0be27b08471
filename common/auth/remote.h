// Clients of authn and authz used by every service that does not own the
// decision, with bounded caches so warm calls make no network round trip.
#ifndef BASTION_COMMON_AUTH_REMOTE_H_
#define BASTION_COMMON_AUTH_REMOTE_H_

#include <memory>
#include <optional>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "bastion/authz/v1/authz.grpc.pb.h"
#include "common/auth/caller.h"
#include "common/auth/sha256.h"
#include "common/clock/clock.h"

namespace bastion {


// A bounded map of values that expire, with refresh-ahead: once 80% of an
// entry's lifetime has passed, one caller is told to refresh it while the
// others keep using it, so a hot entry never expires under load and
// concurrent callers do not all miss at once. An entry is never returned
// past its expiry. Thread-safe.
template <typename V>
class RefreshingCache {
 public:
  explicit RefreshingCache(size_t capacity) : capacity_(capacity) {}

  struct Lookup {
    std::optional<V> value;
    // This caller should fetch a fresh value (value is still usable).
    bool refresh = false;
  };

  Lookup Find(const std::string& key, absl::Time now) {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return {};
    Entry& entry = it->second;
    if (entry.expires <= now) {
      entries_.erase(it);
      return {};
    }
    Lookup lookup{entry.value, false};
    if (now >= entry.refresh_at && !entry.refreshing) {
      entry.refreshing = true;
      lookup.refresh = true;
    }
    return lookup;
  }

  void Put(const std::string& key, V value, absl::Time now, absl::Time expires) {
    absl::MutexLock lock(&mutex_);
    if (entries_.size() >= capacity_ && entries_.count(key) == 0) {
      MakeRoom(now);
    }
    entries_[key] = Entry{std::move(value), expires,
                          now + (expires - now) * 4 / 5, false};
  }

  // The refresh did not happen (dependency unreachable): another caller
  // may try again.
  void RefreshFailed(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) it->second.refreshing = false;
  }

  void Drop(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    entries_.erase(key);
  }

 private:
  struct Entry {
    V value;
    absl::Time expires;
    absl::Time refresh_at;
    bool refreshing;
  };

  // Expired entries go first; if none expired, everything goes (bounded,
  // and only costs warm-up).
  void MakeRoom(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.expires <= now) {
        entries_.erase(it++);
      } else {
        ++it;
      }
    }
    if (entries_.size() >= capacity_) entries_.clear();
  }

  const size_t capacity_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
};

// Asks authn.Authenticate; caches each answer by the credential's SHA-256
// until the earlier of the assertion's expiry (less kAssertionReuseMargin)
// and the credential's (and at most `max_ttl`, which bounds how long a
// revoked API key keeps working here); refreshed ahead of expiry. A
// credential authn refuses, or cannot even take as a request
// (INVALID_ARGUMENT), is UNAUTHENTICATED; only a failed call is
// UNAVAILABLE. Thread-safe.
class RemoteAuthenticator : public Authenticator {
 public:
  RemoteAuthenticator(std::shared_ptr<grpc::Channel> authn,
                      absl::Duration max_ttl, size_t capacity,
                      const Clock* clock);
  absl::StatusOr<Caller> Authenticate(absl::string_view credential) override;

 private:
  std::unique_ptr<authn::v1::Authn::Stub> stub_;
  const absl::Duration max_ttl_;
  const Clock* const clock_;
  // Shared, so a hit copies the Caller once (into the answer), not twice.
  RefreshingCache<std::shared_ptr<const Caller>> cache_;
};

// Asks authz.Check; caches decisions per (principal, permission) for at
// most `max_ttl` (the bound within which a role change takes effect) and
// never past the principal's expiry; refreshed ahead of expiry. authz
// decides from the principal's content and the permission alone, so every
// assertion of one principal (its successive assertions, each run's
// delegation) shares a decision; an allow authz says holds for every id of
// the resource (any_resource_id) answers for any other valid id too.
// Thread-safe.
class RemoteAuthorizer : public Authorizer {
 public:
  RemoteAuthorizer(std::shared_ptr<grpc::Channel> authz,
                   absl::Duration max_ttl, size_t capacity,
                   const Clock* clock);
  absl::StatusOr<AuthzDecision> Check(const Caller& caller,
                                      const PermissionRequest& request) override;

 private:
  std::unique_ptr<authz::v1::Authz::Stub> stub_;
  const absl::Duration max_ttl_;
  const Clock* const clock_;
  RefreshingCache<AuthzDecision> cache_;
};

// Deadline for calls to authn and authz.
inline constexpr absl::Duration kAuthCallTimeout = absl::Seconds(2);

// A cached assertion is not handed out in the last this-much of its life,
// so it does not expire between the edge's cache and authz's check (nor
// under a little clock skew between them).
inline constexpr absl::Duration kAssertionReuseMargin = absl::Seconds(2);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_H_
