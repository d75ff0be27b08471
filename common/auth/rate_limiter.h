// Per-principal request rate limits: token buckets keyed by tenant and
// subject (an API key with its own limit gets its own bucket), with
// per-tenant defaults and overrides.
#ifndef BASTION_COMMON_AUTH_RATE_LIMITER_H_
#define BASTION_COMMON_AUTH_RATE_LIMITER_H_

#include <string>

#include "absl/container/flat_hash_map.h"
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

  absl::Status Admit(const common::v1::Principal& principal) override;

  // The limit that applies to a principal (exposed for tests).
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

  void DropIdleBuckets(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const RateLimit default_limit_;
  const absl::flat_hash_map<std::string, RateLimit> tenants_;
  const Clock* const clock_;
  const size_t max_buckets_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_RATE_LIMITER_H_
