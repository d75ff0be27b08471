#include "common/auth/remote_assertion_keys.h"

#include <vector>

#include "common/log/log.h"

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
  return FetchIfOlder(refresh_);
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::KeysAfterMiss(absl::string_view) {
  // Unknown ids may come from an attacker: never more than one fetch per
  // interval, whatever they send.
  return FetchIfOlder(min_refetch_interval_);
}

absl::StatusOr<std::shared_ptr<const assertion::KeySet>>
RemoteAssertionKeyProvider::FetchIfOlder(absl::Duration max_age) {
  absl::MutexLock lock(&mutex_);
  const absl::Time now = clock_->Now();
  if (keys_ != nullptr && now - fetched_at_ < max_age) return keys_;
  // After a failed fetch, wait before asking authn again, so an outage does
  // not turn every verification into a blocking network call.
  if (now - failed_at_ < min_refetch_interval_) {
    if (keys_ != nullptr) return keys_;
    return absl::UnavailableError("assertion keys unavailable");
  }

  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> fetched = Fetch(now);
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

}  // namespace bastion
