// Request rate limits as token buckets. Per principal: keyed by tenant and
// subject, with per-tenant defaults and overrides; an API key with its own
// limit also has a bucket of its own, and its calls drain its owner's bucket
// too, so a key can only lower its owner's limit, never raise it. Per client
// address: calls that fail authentication, so a flood of garbage
// credentials is refused after a burst while authenticated callers (never
// counted there) are unaffected.
#ifndef BASTION_COMMON_AUTH_RATE_LIMITER_H_
#define BASTION_COMMON_AUTH_RATE_LIMITER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"

namespace bastion {

struct RateLimit {
  double per_second = 0;
  double burst = 0;
};

// The client address of a call, for the limit on unauthenticated calls:
// the transport peer without its port ("ipv4:10.1.2.3:5000" -> "10.1.2.3",
// "ipv6:[::1]:5000" -> "::1"; other forms such as "unix:..." whole). When
// that address is one of `trusted_proxies` and `forwarded` (the values of
// the configured client address header, in order) is not empty, the
// rightmost comma-separated entry of the last value instead: the address the
// proxy itself saw, which a client cannot forge past the proxy. Addresses
// are compared and returned in canonical form (inet_ntop).
std::string ClientAddressOf(absl::string_view peer,
                            absl::Span<const absl::string_view> forwarded,
                            const absl::flat_hash_set<std::string>& trusted_proxies);

// Thread-safe (one mutex; the critical section is a few arithmetic
// operations). Memory is bounded: past `max_buckets`, buckets that have
// refilled completely (idle principals) are dropped.
class TokenBucketLimiter final : public RateLimiter {
 public:
  // INVALID_ARGUMENT for negative or non-finite limits (naming the tenant),
  // a client_address_header without trusted_proxies, or a trusted proxy that
  // is not an IP address.
  static absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> Create(
      const common::v1::RateLimitConfig& config, const Clock* clock,
      size_t max_buckets = 100000);

  // Admits a call when the principal's bucket has a token; a call made with
  // an API key that carries its own limit needs a token in the key's bucket
  // and in its owner's, and takes one from each.
  absl::Status Admit(const common::v1::Principal& principal) override;

  // Counts a call that failed authentication against its client address
  // (ClientAddressOf under the configured header and proxies); once the
  // address is over the unauthenticated limit, RESOURCE_EXHAUSTED.
  absl::Status AdmitUnauthenticated(
      const grpc::ServerContextBase& context) override;
  // The same, for an address already resolved (exposed for tests).
  absl::Status AdmitUnauthenticatedFrom(absl::string_view client_address);

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

  // Where unauthenticated calls come from (see ClientAddressOf).
  struct ClientAddressRule {
    std::string header;  // empty: the transport peer only
    absl::flat_hash_set<std::string> trusted_proxies;
  };

  TokenBucketLimiter(RateLimit default_limit,
                     absl::flat_hash_map<std::string, RateLimit> tenants,
                     RateLimit unauthenticated_limit,
                     ClientAddressRule client_address, const Clock* clock,
                     size_t max_buckets)
      : default_limit_(default_limit),
        tenants_(std::move(tenants)),
        unauthenticated_limit_(unauthenticated_limit),
        client_address_(std::move(client_address)),
        clock_(clock),
        max_buckets_(max_buckets) {}

  // The bucket under `key` (created full), refilled up to `now` under
  // `limit`. Never drops a bucket.
  Bucket& Refilled(const std::string& key, const RateLimit& limit,
                   absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void DropIdleBuckets(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const RateLimit default_limit_;
  const absl::flat_hash_map<std::string, RateLimit> tenants_;
  const RateLimit unauthenticated_limit_;
  const ClientAddressRule client_address_;
  const Clock* const clock_;
  const size_t max_buckets_;
  absl::Mutex mutex_;
  absl::node_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_RATE_LIMITER_H_
