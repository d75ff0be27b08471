// The assertion KeyProvider of every service but authn: fetches authn's
// GetAssertionKeys, caches the parsed set, and refreshes it periodically or
// (rate-limited) when an assertion names a key id it does not know.
#ifndef BASTION_COMMON_AUTH_REMOTE_ASSERTION_KEYS_H_
#define BASTION_COMMON_AUTH_REMOTE_ASSERTION_KEYS_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/assertion/key_set.h"
#include "common/auth/remote.h"

namespace bastion {

// Thread-safe. One fetch at a time (under the lock); callers with a cached
// set wait on the network at most once per `refresh`, and after a failure
// nobody does for `min_refetch_interval`.
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
  // min_refetch_interval after a failure.
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> FetchIfOlder(
      absl::Duration max_age);
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> Fetch(
      absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  std::unique_ptr<authn::v1::Authn::Stub> stub_;
  const absl::Duration refresh_;
  const absl::Duration min_refetch_interval_;
  const Clock* const clock_;
  absl::Mutex mutex_;
  std::shared_ptr<const assertion::KeySet> keys_ ABSL_GUARDED_BY(mutex_);
  absl::Time fetched_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  absl::Time failed_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_ASSERTION_KEYS_H_
