#include "common/auth/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include <grpcpp/server_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace bastion {
namespace {

constexpr double kDefaultPerSecond = 100;
constexpr double kDefaultUnauthenticatedPerSecond = 20;
constexpr double kDefaultUnauthenticatedBurst = 100;
// Bucket keys of client addresses; principal keys start with a digit.
constexpr absl::string_view kAddressKeyPrefix = "address|";

// `text` as an IPv4 or IPv6 address in canonical form, or nullopt.
std::optional<std::string> CanonicalIp(absl::string_view text) {
  const std::string copy(text);
  unsigned char binary[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, copy.c_str(), binary) == 1) {
    return std::string(inet_ntop(AF_INET, binary, out, sizeof(out)));
  }
  if (inet_pton(AF_INET6, copy.c_str(), binary) == 1) {
    return std::string(inet_ntop(AF_INET6, binary, out, sizeof(out)));
  }
  return std::nullopt;
}

// The address part of a gRPC peer string, canonical when it is an IP.
std::string TransportAddress(absl::string_view peer) {
  absl::string_view address = peer;
  if (absl::ConsumePrefix(&address, "ipv4:")) {
    address = address.substr(0, address.rfind(':'));
  } else if (absl::ConsumePrefix(&address, "ipv6:")) {
    if (absl::ConsumePrefix(&address, "[")) {
      address = address.substr(0, address.find(']'));
    }
    // A zone id is URL-encoded in the peer string ("%25eth0"); drop it.
    address = address.substr(0, address.find('%'));
  } else {
    return std::string(peer);
  }
  return CanonicalIp(address).value_or(std::string(address));
}

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

std::string ClientAddressOf(absl::string_view peer,
                            absl::Span<const absl::string_view> forwarded,
                            const absl::flat_hash_set<std::string>& trusted_proxies) {
  std::string address = TransportAddress(peer);
  if (forwarded.empty() || !trusted_proxies.contains(address)) return address;
  absl::string_view last = forwarded.back();
  const size_t comma = last.rfind(',');
  if (comma != absl::string_view::npos) last = last.substr(comma + 1);
  last = absl::StripAsciiWhitespace(last);
  if (last.empty()) return address;
  return CanonicalIp(last).value_or(std::string(last));
}

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
  // 0 means the default; MakeLimit refuses negative values.
  absl::StatusOr<RateLimit> unauthenticated = MakeLimit(
      config.unauthenticated_per_second() != 0
          ? config.unauthenticated_per_second()
          : kDefaultUnauthenticatedPerSecond,
      config.unauthenticated_burst() != 0 ? config.unauthenticated_burst()
                                          : kDefaultUnauthenticatedBurst,
      ".unauthenticated");
  if (!unauthenticated.ok()) return unauthenticated.status();
  ClientAddressRule client_address;
  client_address.header = config.client_address_header();
  if (client_address.header != absl::AsciiStrToLower(client_address.header)) {
    return absl::InvalidArgumentError(
        "rate_limits.client_address_header: must be lower case (gRPC "
        "metadata keys are)");
  }
  if (!client_address.header.empty() && config.trusted_proxies().empty()) {
    return absl::InvalidArgumentError(
        "rate_limits.trusted_proxies: required with client_address_header "
        "(whose header would be believed otherwise?)");
  }
  for (const std::string& proxy : config.trusted_proxies()) {
    std::optional<std::string> ip = CanonicalIp(proxy);
    if (!ip.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rate_limits.trusted_proxies: \"", proxy, "\" is not an IP address"));
    }
    client_address.trusted_proxies.insert(*std::move(ip));
  }
  return std::unique_ptr<TokenBucketLimiter>(new TokenBucketLimiter(
      *default_limit, std::move(tenants), *unauthenticated,
      std::move(client_address), clock, max_buckets));
}

absl::Status TokenBucketLimiter::AdmitUnauthenticated(
    const grpc::ServerContextBase& context) {
  std::vector<absl::string_view> forwarded;
  if (!client_address_.header.empty()) {
    auto [begin, end] =
        context.client_metadata().equal_range(client_address_.header);
    for (auto it = begin; it != end; ++it) {
      forwarded.emplace_back(it->second.data(), it->second.size());
    }
  }
  return AdmitUnauthenticatedFrom(ClientAddressOf(
      context.peer(), forwarded, client_address_.trusted_proxies));
}

absl::Status TokenBucketLimiter::AdmitUnauthenticatedFrom(
    absl::string_view client_address) {
  const std::string key = absl::StrCat(kAddressKeyPrefix, client_address);
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mutex_);
  if (buckets_.size() + 1 > max_buckets_) DropIdleBuckets(now);
  Bucket& bucket = Refilled(key, unauthenticated_limit_, now);
  if (bucket.tokens < 1) {
    return absl::ResourceExhaustedError(
        "too many unauthenticated calls from this address");
  }
  bucket.tokens -= 1;
  return absl::OkStatus();
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
