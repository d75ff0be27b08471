#include "common/auth/remote_assertion_keys.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion {

RemoteAssertionKeyProvider::RemoteAssertionKeyProvider(
    std::shared_ptr<grpc::Channel> authn, absl::Duration refresh,
    absl::Duration min_refetch_interval, const Clock* clock)
    : stub_(authn::v1::Authn::NewStub(std::move(authn))),
      refresh_(refresh),
      min_refetch_interval_(min_refetch_interval),
      clock_(clock) {}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::Keys() {
  // Called on every verification: a cached set is returned at once, even
  // while another caller refreshes it.
  return FetchIfOlder(refresh_, /*serve_cached_while_fetching=*/true);
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::KeysAfterMiss(absl::string_view) {
  // Unknown ids may come from an attacker: never more than one fetch per
  // interval, whatever they send. The caller needs the newest set (authn may
  // just have rotated), so it waits for a fetch already in flight.
  return FetchIfOlder(min_refetch_interval_,
                      /*serve_cached_while_fetching=*/false);
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::CachedOrUnavailable() const {
  if (keys_ != nullptr) return keys_;  // keep serving the keys we had
  return absl::UnavailableError("assertion keys unavailable");
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::FetchIfOlder(absl::Duration max_age,
                                         bool serve_cached_while_fetching) {
  absl::Time now;
  {
    absl::MutexLock lock(&mutex_);
    while (true) {
      now = clock_->Now();
      if (keys_ != nullptr && now - fetched_at_ < max_age) return keys_;
      // After a failed fetch, wait before asking authn again, so an outage
      // does not turn every verification into a network call.
      if (now - failed_at_ < min_refetch_interval_) {
        return CachedOrUnavailable();
      }
      if (!fetching_) break;
      if (keys_ != nullptr && serve_cached_while_fetching) return keys_;
      // Nothing cached, or the caller needs the fetch's result: wait for it
      // (the wait releases mutex_), then decide again on what it left.
      fetch_done_.Wait(&mutex_);
    }
    fetching_ = true;  // this caller fetches; nobody else starts a fetch
  }

  // The RPC runs with the lock released: other callers keep reading the
  // cached set.
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> fetched = Fetch(now);

  absl::MutexLock lock(&mutex_);
  fetching_ = false;
  fetch_done_.SignalAll();
  if (!fetched.ok()) {
    failed_at_ = now;
    if (keys_ != nullptr) return keys_;  // keep serving the keys we had
    return fetched.status();
  }
  keys_ = *std::move(fetched);
  fetched_at_ = now;
  return keys_;
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::Fetch(absl::Time now) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(now + kAuthCallTimeout));
  authn::v1::GetAssertionKeysResponse response;
  const grpc::Status status = stub_->GetAssertionKeys(
      &context, authn::v1::GetAssertionKeysRequest(), &response);
  if (!status.ok()) {
    Log(LogLevel::kWarning, "assertion_keys_fetch_failed",
        {{"error", status.error_message()}});
    return absl::UnavailableError("assertion keys unavailable");
  }
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
      assertion::KeySet::Create(std::vector<common::v1::AssertionKey>(
          response.keys().begin(), response.keys().end()));
  if (!keys.ok()) {
    Log(LogLevel::kError, "assertion_keys_invalid",
        {{"error", keys.status().message()}});
    return absl::UnavailableError("assertion keys unavailable");
  }
  return keys;
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>> LoadAssertionKeysFile(
    const std::string& path) {
  authn::v1::GetAssertionKeysResponse keys;
  RETURN_IF_ERROR(LoadConfig(path, /*env_prefix=*/"",
                             [](absl::string_view) { return std::nullopt; },
                             &keys));
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> set =
      assertion::KeySet::Create(std::vector<common::v1::AssertionKey>(
          keys.keys().begin(), keys.keys().end()));
  if (!set.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", set.status().message()));
  }
  return set;
}

}  // namespace bastion
