#include "common/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace bastion {
namespace {

constexpr double kDefaultPerSecond = 100;

absl::StatusOr<RateLimit> MakeLimit(double per_second, double burst,
                                    absl::string_view where) {
  if (!std::isfinite(per_second) || !std::isfinite(burst) || per_second < 0 ||
      burst < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate_limits", where, ": limits must be finite and >= 0"));
  }
  RateLimit limit;
  limit.per_second = per_second > 0 ? per_second : kDefaultPerSecond;
  limit.burst = burst > 0 ? burst : 2 * limit.per_second;
  return limit;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenBucketLimiter>> TokenBucketLimiter::Create(
    const common::v1::RateLimitConfig& config, const Clock* clock,
    size_t max_buckets) {
  absl::StatusOr<RateLimit> default_limit =
      MakeLimit(config.requests_per_second(), config.burst(), "");
  if (!default_limit.ok()) return default_limit.status();
  absl::flat_hash_map<std::string, RateLimit> tenants;
  for (const auto& [tenant, limit] : config.tenants()) {
    if (limit.requests_per_second() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rate_limits.tenants[", tenant, "]: requests_per_second must be > 0"));
    }
    absl::StatusOr<RateLimit> parsed =
        MakeLimit(limit.requests_per_second(), limit.burst(),
                  absl::StrCat(".tenants[", tenant, "]"));
    if (!parsed.ok()) return parsed.status();
    tenants[tenant] = *parsed;
  }
  return std::unique_ptr<TokenBucketLimiter>(new TokenBucketLimiter(
      *default_limit, std::move(tenants), clock, max_buckets));
}

RateLimit TokenBucketLimiter::OwnerLimitFor(
    const common::v1::Principal& principal) const {
  auto it = tenants_.find(principal.tenant_id());
  return it != tenants_.end() ? it->second : default_limit_;
}

RateLimit TokenBucketLimiter::LimitFor(
    const common::v1::Principal& principal) const {
  const RateLimit owner = OwnerLimitFor(principal);
  if (principal.rate_limit_per_second() <= 0) return owner;
  const double rate = principal.rate_limit_per_second();
  return RateLimit{std::min(rate, owner.per_second),
                   std::min(2 * rate, owner.burst)};
}

TokenBucketLimiter::Bucket& TokenBucketLimiter::Refilled(
    const std::string& key, const RateLimit& limit, absl::Time now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    it = buckets_.emplace(key, Bucket{limit.burst, now, limit}).first;
  }
  Bucket& bucket = it->second;
  // Callers read the clock before taking the lock, so `now` may be older
  // than the last refill: time never runs backwards here, or the same
  // interval would be refilled twice.
  if (now > bucket.updated) {
    const double elapsed = absl::ToDoubleSeconds(now - bucket.updated);
    bucket.tokens =
        std::min(limit.burst, bucket.tokens + elapsed * limit.per_second);
    bucket.updated = now;
  }
  bucket.tokens = std::min(limit.burst, bucket.tokens);
  bucket.limit = limit;
  return bucket;
}

absl::Status TokenBucketLimiter::Admit(const common::v1::Principal& principal) {
  const RateLimit owner_limit = OwnerLimitFor(principal);
  const std::string owner_key =
      absl::StrCat(principal.tenant_id().size(), ":", principal.tenant_id(),
                   principal.subject());
  // A credential with its own limit (an API key) also has its own bucket.
  const bool own_bucket = principal.rate_limit_per_second() > 0;
  const std::string key_key =
      own_bucket ? absl::StrCat(owner_key.size(), ":", owner_key,
                                principal.token_id())
                 : std::string();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mutex_);
  // Room for the (at most two) buckets this call may add; nothing is
  // dropped below, and node_hash_map keeps both references valid.
  if (buckets_.size() + 2 > max_buckets_) DropIdleBuckets(now);
  Bucket& owner_bucket = Refilled(owner_key, owner_limit, now);
  Bucket* key_bucket =
      own_bucket ? &Refilled(key_key, LimitFor(principal), now) : nullptr;
  if (owner_bucket.tokens < 1 ||
      (key_bucket != nullptr && key_bucket->tokens < 1)) {
    return absl::ResourceExhaustedError("rate limit exceeded");
  }
  owner_bucket.tokens -= 1;
  if (key_bucket != nullptr) key_bucket->tokens -= 1;
  return absl::OkStatus();
}

void TokenBucketLimiter::DropIdleBuckets(absl::Time now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& bucket = it->second;
    const double refilled =
        bucket.tokens +
        absl::ToDoubleSeconds(now - bucket.updated) * bucket.limit.per_second;
    if (refilled >= bucket.limit.burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  // Everyone is active: refuse to grow past the bound by forgetting all
  // (they restart with full buckets, erring towards admitting).
  if (buckets_.size() + 2 > max_buckets_) buckets_.clear();
}

}  // namespace bastion
