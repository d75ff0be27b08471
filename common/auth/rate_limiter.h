// Per-principal request rate limits: token buckets keyed by tenant and
// subject, with per-tenant defaults and overrides. An API key with its own
// limit also has a bucket of its own, and its calls drain its owner's bucket
// too: a key can only lower its owner's limit, never raise it.
#ifndef BASTION_COMMON_AUTH_RATE_LIMITER_H_
#define BASTION_COMMON_AUTH_RATE_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"

namespace bastion {

struct RateLimit {
  double per_second = 0;
  double burst = 0;
};

// Thread-safe (one mutex; the critical section is a few arithmetic
// operations). Memory is bounded: past `max_buckets`, buckets that have
// refilled completely (idle principals) are dropped.
class TokenBucketLimiter final : public RateLimiter {
 public:
  // INVALID_ARGUMENT for negative or non-finite limits, naming the tenant.
  static absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> Create(
      const common::v1::RateLimitConfig& config, const Clock* clock,
      size_t max_buckets = 100000);

  // Admits a call when the principal's bucket has a token; a call made with
  // an API key that carries its own limit needs a token in the key's bucket
  // and in its owner's, and takes one from each.
  absl::Status Admit(const common::v1::Principal& principal) override;

  // The limit of the principal's owner: the tenant's override, else the
  // default (exposed for tests).
  RateLimit OwnerLimitFor(const common::v1::Principal& principal) const;
  // The limit of the principal's own bucket: the owner's, or for an API key
  // with its own limit, that limit capped at the owner's (exposed for tests).
  RateLimit LimitFor(const common::v1::Principal& principal) const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
    RateLimit limit;
  };

  TokenBucketLimiter(RateLimit default_limit,
                     absl::flat_hash_map<std::string, RateLimit> tenants,
                     const Clock* clock, size_t max_buckets)
      : default_limit_(default_limit),
        tenants_(std::move(tenants)),
        clock_(clock),
        max_buckets_(max_buckets) {}

  // The bucket under `key` (created full), refilled up to `now` under
  // `limit`. Never drops a bucket.
  Bucket& Refilled(const std::string& key, const RateLimit& limit,
                   absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void DropIdleBuckets(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const RateLimit default_limit_;
  const absl::flat_hash_map<std::string, RateLimit> tenants_;
  const Clock* const clock_;
  const size_t max_buckets_;
  absl::Mutex mutex_;
  absl::node_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_RATE_LIMITER_H_
