// JWKS over HTTPS with a bounded cache, single-flight refetches and the last
// good set kept through outages; see jwks_url_source.h.
#include "services/authn/jwt/jwks_url_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "services/authn/jwt/cache_control.h"
#include "services/authn/jwt/oidc_discovery.h"

namespace bastion::authn::jwt {
namespace {

// `status` with `what` in front of its message, same code.
absl::Status Prefixed(absl::string_view what, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwksUrlSource>> JwksUrlSource::Create(
    JwksUrlOptions options, const Clock* clock) {
  if (clock == nullptr) return absl::InvalidArgumentError("null clock");
  if (absl::Status https = CheckHttpsUrl(options.url); !https.ok()) {
    return https;
  }
  if (options.min_cache < absl::Seconds(1) ||
      options.min_cache > options.max_cache) {
    return absl::InvalidArgumentError(
        "min_cache must be at least 1 s and at most max_cache");
  }
  if (options.refetch_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("refetch_interval must be positive");
  }
  if (options.unknown_kid_wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("unknown_kid_wait must not be negative");
  }
  options.jwks.max_document_bytes = options.fetch.max_body_bytes;
  absl::StatusOr<std::unique_ptr<HttpsFetcher>> fetcher =
      HttpsFetcher::Create(options.fetch);
  if (!fetcher.ok()) return fetcher.status();
  std::optional<std::string> issuer = IssuerOfDiscoveryUrl(options.url);
  std::unique_ptr<JwksUrlSource> source(new JwksUrlSource(
      std::move(options), *std::move(fetcher), std::move(issuer), clock));

  const absl::Time now = clock->Now();
  absl::StatusOr<Fetched> fetched = source->Fetch();
  if (!fetched.ok()) {
    return absl::UnavailableError(fetched.status().message());
  }
  absl::StatusOr<std::shared_ptr<const KeySet>> keys =
      ParseJwks(fetched->document, source->options_.jwks);
  if (!keys.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "jwks ", UrlForLog(source->jwks_uri_), ": ", keys.status().message()));
  }
  const absl::Duration lifetime = CacheLifetime(
      fetched->max_age, source->options_.min_cache, source->options_.max_cache);
  {
    absl::MutexLock lock(&source->mu_);
    source->keys_ = *keys;
    source->document_ = std::move(fetched->document);
    source->fresh_until_ = now + lifetime;
    source->last_attempt_ = now;
    source->stats_.fetches = 1;
    source->stats_.fresh_until = source->fresh_until_;
  }
  Log(LogLevel::kInfo, "jwks_fetched",
      {{"url", source->url_for_log_},
       {"keys", absl::StrCat((*keys)->keys().size())},
       {"fresh_for_seconds", absl::StrCat(absl::ToInt64Seconds(lifetime))}});
  source->thread_ =
      std::thread([raw = source.get()] { raw->RunFetchThread(); });
  return source;
}

JwksUrlSource::JwksUrlSource(JwksUrlOptions options,
                             std::unique_ptr<HttpsFetcher> fetcher,
                             std::optional<std::string> discovery_issuer,
                             const Clock* clock)
    : options_(std::move(options)),
      fetcher_(std::move(fetcher)),
      discovery_issuer_(std::move(discovery_issuer)),
      clock_(clock),
      url_for_log_(UrlForLog(options_.url)),
      jwks_uri_(discovery_issuer_.has_value() ? "" : options_.url) {}

JwksUrlSource::~JwksUrlSource() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const KeySet> JwksUrlSource::Current() const {
  const absl::Time now = clock_->Now();
  {
    // The common case (fresh, or a fetch already running or not yet due)
    // only reads.
    absl::ReaderMutexLock lock(&mu_);
    if (!DueLocked(now)) return keys_;
  }
  absl::MutexLock lock(&mu_);
  if (DueLocked(now)) StartFetchLocked(now);
  return keys_;
}

bool JwksUrlSource::DueLocked(absl::Time now) const {
  return !in_flight_ && !stopping_ && now >= fresh_until_ &&
         now - last_attempt_ >= options_.refetch_interval;
}

std::shared_ptr<const KeySet> JwksUrlSource::RefreshForUnknownKid(
    uint64_t seen_generation) const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  if (keys_->generation() != seen_generation) return keys_;
  if (!in_flight_) {
    if (stopping_ || now - last_attempt_ < options_.refetch_interval) {
      return nullptr;
    }
    ++stats_.unknown_kid_fetches;
    StartFetchLocked(now);
  }
  mu_.AwaitWithTimeout(absl::Condition(this, &JwksUrlSource::IdleLocked),
                       options_.unknown_kid_wait);
  return keys_->generation() != seen_generation ? keys_ : nullptr;
}

JwksUrlSource::Stats JwksUrlSource::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

bool JwksUrlSource::WaitIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &JwksUrlSource::IdleLocked),
                              timeout);
}

void JwksUrlSource::StartFetchLocked(absl::Time now) const {
  last_attempt_ = now;
  in_flight_ = true;
  pending_ = true;
  ++stats_.fetches;
}

void JwksUrlSource::RunFetchThread() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &JwksUrlSource::WorkLocked));
      if (stopping_) return;
      pending_ = false;
    }
    Install(Fetch());
  }
}

absl::StatusOr<JwksUrlSource::Fetched> JwksUrlSource::Fetch() const {
  if (discovery_issuer_.has_value() && jwks_uri_.empty()) {
    absl::StatusOr<HttpsResponse> discovery = fetcher_->Get(options_.url);
    if (!discovery.ok()) {
      return Prefixed(absl::StrCat("discovery ", url_for_log_),
                      discovery.status());
    }
    absl::StatusOr<std::string> jwks_uri =
        JwksUriFromDiscovery(discovery->body, *discovery_issuer_);
    if (!jwks_uri.ok()) {
      return Prefixed(absl::StrCat("discovery ", url_for_log_),
                      jwks_uri.status());
    }
    jwks_uri_ = *std::move(jwks_uri);
  }
  absl::StatusOr<HttpsResponse> response = fetcher_->Get(jwks_uri_);
  if (!response.ok()) {
    return Prefixed(absl::StrCat("jwks ", UrlForLog(jwks_uri_)),
                    response.status());
  }
  return Fetched{std::move(response->body),
                 CacheControlMaxAge(response->cache_control)};
}

void JwksUrlSource::Install(absl::StatusOr<Fetched> fetched) const {
  const absl::Time now = clock_->Now();
  absl::Status status = fetched.status();
  bool same = false;
  std::shared_ptr<const KeySet> parsed;
  if (status.ok()) {
    {
      absl::MutexLock lock(&mu_);
      same = fetched->document == document_;
    }
    if (!same) {
      absl::StatusOr<std::shared_ptr<const KeySet>> keys =
          ParseJwks(fetched->document, options_.jwks);
      if (keys.ok()) {
        parsed = *std::move(keys);
      } else {
        status = Prefixed(absl::StrCat("jwks ", UrlForLog(jwks_uri_)),
                          keys.status());
      }
    }
  }
  // In discovery mode a failure may mean the keys moved: rediscover.
  if (!status.ok() && discovery_issuer_.has_value()) jwks_uri_.clear();

  absl::Duration lifetime;
  size_t key_count = 0;
  int64_t failures = 0;
  bool recovered = false;
  {
    absl::MutexLock lock(&mu_);
    if (status.ok()) {
      lifetime = CacheLifetime(fetched->max_age, options_.min_cache,
                               options_.max_cache);
      if (!same) {
        keys_ = std::move(parsed);
        document_ = std::move(fetched->document);
      }
      fresh_until_ = now + lifetime;
      stats_.fresh_until = fresh_until_;
      stats_.last_error = absl::OkStatus();
      recovered = consecutive_failures_ > 0;
      consecutive_failures_ = 0;
    } else {
      ++stats_.failures;
      stats_.last_error = status;
      failures = ++consecutive_failures_;
    }
    key_count = keys_->keys().size();
  }
  if (!status.ok()) {
    Log(LogLevel::kWarning, "jwks_fetch_failed",
        {{"url", url_for_log_},
         {"error", status.message()},
         {"consecutive_failures", absl::StrCat(failures)},
         {"serving_last_good_keys", absl::StrCat(key_count)},
         {"next_attempt_after_seconds",
          absl::StrCat(absl::ToInt64Seconds(options_.refetch_interval))}});
  } else if (!same || recovered) {
    Log(LogLevel::kInfo, "jwks_fetched",
        {{"url", url_for_log_},
         {"keys", absl::StrCat(key_count)},
         {"changed", same ? "false" : "true"},
         {"fresh_for_seconds", absl::StrCat(absl::ToInt64Seconds(lifetime))}});
  }
  // Idle only now, so whoever waited for this fetch also sees its log line.
  absl::MutexLock lock(&mu_);
  in_flight_ = false;
}

}  // namespace bastion::authn::jwt
