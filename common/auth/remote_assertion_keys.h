// The assertion KeyProvider of every service but authn: fetches authn's
// GetAssertionKeys, caches the parsed set, and refreshes it periodically or
// (rate-limited) when an assertion names a key id it does not know.
#ifndef BASTION_COMMON_AUTH_REMOTE_ASSERTION_KEYS_H_
#define BASTION_COMMON_AUTH_REMOTE_ASSERTION_KEYS_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/assertion/key_set.h"
#include "common/auth/remote.h"

namespace bastion {

// Thread-safe. The lock is never held across the RPC, and at most one fetch
// is in flight. Once a set is cached, Keys() returns it without waiting: the
// one caller that finds it older than `refresh` fetches (on its own thread,
// up to kAuthCallTimeout), the others keep using the cached set meanwhile.
// Callers that cannot use the cached set (nothing cached yet, or
// KeysAfterMiss) wait for the fetch in flight instead of starting another.
// After a failed fetch nobody asks authn again for `min_refetch_interval`,
// and a cached set keeps being served however old it gets; with nothing
// cached every caller fails closed (UNAVAILABLE).
class RemoteAssertionKeyProvider final : public assertion::KeyProvider {
 public:
  RemoteAssertionKeyProvider(std::shared_ptr<grpc::Channel> authn,
                             absl::Duration refresh,
                             absl::Duration min_refetch_interval,
                             const Clock* clock);

  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> Keys() override;
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> KeysAfterMiss(
      absl::string_view key_id) override;

 private:
  // Fetches when the cached set is older than `max_age`, at most once per
  // min_refetch_interval after a failure. While another caller's fetch is in
  // flight, returns the cached set if `serve_cached_while_fetching`, else
  // waits for that fetch's outcome.
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> FetchIfOlder(
      absl::Duration max_age, bool serve_cached_while_fetching)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // The GetAssertionKeys RPC; called without mutex_ held.
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> Fetch(
      absl::Time now) ABSL_LOCKS_EXCLUDED(mutex_);
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> CachedOrUnavailable()
      const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::unique_ptr<authn::v1::Authn::Stub> stub_;
  const absl::Duration refresh_;
  const absl::Duration min_refetch_interval_;
  const Clock* const clock_;
  absl::Mutex mutex_;
  // Signalled whenever a fetch ends (fetching_ goes back to false).
  absl::CondVar fetch_done_;
  std::shared_ptr<const assertion::KeySet> keys_ ABSL_GUARDED_BY(mutex_);
  absl::Time fetched_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  absl::Time failed_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  // A caller is running Fetch() (with mutex_ released).
  bool fetching_ ABSL_GUARDED_BY(mutex_) = false;
};

// authn's assertion keys from a file instead (for a server that does not ask
// authn): a JSON bastion.authn.v1.GetAssertionKeysResponse.
absl::StatusOr<std::shared_ptr<const assertion::KeySet>> LoadAssertionKeysFile(
    const std::string& path);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_ASSERTION_KEYS_H_
