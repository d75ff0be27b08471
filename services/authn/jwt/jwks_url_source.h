// A KeySource fed by an identity provider's JWKS over HTTPS, directly or
// through its OpenID discovery document. Fetching never happens on the
// request path: one background thread per source performs every fetch, and
// callers only read the current set or ask for a refetch.
//
//   - Cache: a fetched set is fresh for the response's Cache-Control
//     max-age clamped to [min_cache, max_cache] (see cache_control.h).
//     Current() on a stale set returns it at once and starts a refetch.
//   - Unknown kid: RefreshForUnknownKid starts a refetch unless one ran
//     within refetch_interval, and waits at most unknown_kid_wait for the
//     fetch in flight (single flight: concurrent callers share it). So no
//     number of forged kids causes more than one fetch per interval, and a
//     request waits at most unknown_kid_wait.
//   - Failures (network, TLS, HTTP status, too large, not a valid JWKS,
//     discovery naming another issuer): the last good set stays current,
//     the failure is logged (URL without query, never the body) and the
//     next attempt waits refetch_interval, so each failure is logged once
//     per interval. An identical document keeps the same KeySet (and its
//     generation, so verified-token cache entries stay valid).
//   - Create() fetches once, synchronously: without a first good set it
//     fails, and authn refuses to start rather than start without keys.
#ifndef BASTION_SERVICES_AUTHN_JWT_JWKS_URL_SOURCE_H_
#define BASTION_SERVICES_AUTHN_JWT_JWKS_URL_SOURCE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "services/authn/jwt/https_fetcher.h"
#include "services/authn/jwt/jwks.h"
#include "services/authn/jwt/key_set.h"

namespace bastion::authn::jwt {

struct JwksUrlOptions {
  // The JWKS URL, or a discovery URL (path ending in kDiscoveryPath, see
  // oidc_discovery.h) whose document must name the issuer it was fetched
  // for and whose jwks_uri is then fetched. https:// only.
  std::string url;
  absl::Duration min_cache = absl::Seconds(60);
  absl::Duration max_cache = absl::Hours(24);
  absl::Duration refetch_interval = absl::Seconds(30);
  absl::Duration unknown_kid_wait = absl::Seconds(1);
  HttpsFetchOptions fetch;
  JwksOptions jwks;  // jwks.max_document_bytes follows fetch.max_body_bytes.
};

// Thread-safe. Current() takes a short reader lock (a writer lock only to
// start a fetch); RefreshForUnknownKid may wait up to unknown_kid_wait,
// without holding the lock meanwhile (absl::Mutex releases it while
// waiting), so other requests keep reading keys.
class JwksUrlSource final : public KeySource {
 public:
  // INVALID_ARGUMENT for bad options (non-https URL, min_cache outside
  // 1 s..max_cache, non-positive refetch_interval, negative wait, bad fetch
  // options); UNAVAILABLE naming the URL when the first fetch fails.
  // `clock` must outlive the source; it decides freshness and intervals
  // (waits are real time).
  static absl::StatusOr<std::unique_ptr<JwksUrlSource>> Create(
      JwksUrlOptions options, const Clock* clock);

  // Stops the fetch thread; waits for a fetch in progress (bounded by the
  // fetch timeout).
  ~JwksUrlSource() override;

  JwksUrlSource(const JwksUrlSource&) = delete;
  JwksUrlSource& operator=(const JwksUrlSource&) = delete;

  std::shared_ptr<const KeySet> Current() const override;
  std::shared_ptr<const KeySet> RefreshForUnknownKid(
      uint64_t seen_generation) const override;

  // Observability (and tests).
  struct Stats {
    int64_t fetches = 0;              // Attempts, the first one included.
    int64_t failures = 0;             // Attempts that kept the old set.
    int64_t unknown_kid_fetches = 0;  // Attempts started for a kid.
    absl::Status last_error;          // OK after a good fetch.
    absl::Time fresh_until;           // When the current set goes stale.
  };
  Stats stats() const;

  // Blocks until no fetch is in flight or `timeout` (real time) passes;
  // true if idle.
  bool WaitIdle(absl::Duration timeout) const;

 private:
  struct Fetched {
    std::string document;
    std::optional<absl::Duration> max_age;
  };

  JwksUrlSource(JwksUrlOptions options, std::unique_ptr<HttpsFetcher> fetcher,
                std::optional<std::string> discovery_issuer,
                const Clock* clock);

  // Discovery (when configured and not yet resolved) then the JWKS. Runs on
  // the fetch thread, or in Create() before that thread exists.
  absl::StatusOr<Fetched> Fetch() const;
  // Parses and installs `fetched`, or keeps the current set on a failure;
  // logs and counts either way, then marks the fetch done.
  void Install(absl::StatusOr<Fetched> fetched) const;
  // True when the set is stale and a scheduled fetch may start now.
  bool DueLocked(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void StartFetchLocked(absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IdleLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !in_flight_ || stopping_;
  }
  bool WorkLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return pending_ || stopping_;
  }
  void RunFetchThread();

  const JwksUrlOptions options_;
  const std::unique_ptr<HttpsFetcher> fetcher_;
  // Set for a discovery URL: the issuer its document must name.
  const std::optional<std::string> discovery_issuer_;
  const Clock* const clock_;
  const std::string url_for_log_;
  // The JWKS URL in use (discovered or configured). Only the fetch thread
  // (or Create before it starts) touches it; cleared after a failed fetch
  // in discovery mode so the next attempt rediscovers.
  mutable std::string jwks_uri_;

  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  mutable std::string document_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time fresh_until_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time last_attempt_ ABSL_GUARDED_BY(mu_);
  mutable bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  mutable bool pending_ ABSL_GUARDED_BY(mu_) = false;
  mutable bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  mutable Stats stats_ ABSL_GUARDED_BY(mu_);
  mutable int64_t consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_JWKS_URL_SOURCE_H_
