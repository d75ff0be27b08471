// Tests the assertion key provider against a fake authn on port 0, with an
// injected clock: the first fetch, the periodic refresh (made by one caller
// while the others keep the cached set), serving a stale set while authn is
// unreachable, failing closed with nothing cached, and the bound on
// re-fetches for unknown key ids.
#include "common/auth/remote_assertion_keys.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "common/assertion/signer.h"
#include "common/clock/fake_clock.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

// In the future, so RPC deadlines derived from the fake clock never expire.
const absl::Time kStart = absl::FromUnixSeconds(2000000000);
constexpr absl::Duration kRefresh = absl::Minutes(5);
constexpr absl::Duration kMinRefetch = absl::Seconds(5);

common::v1::AssertionKey NewKey() {
  absl::StatusOr<assertion::AssertionSigner> signer =
      assertion::AssertionSigner::Generate();
  EXPECT_THAT(signer, IsOk());
  return signer->PublicKey();
}

// Serves whichever key is current; can fail, and can hold a call until
// released (to observe callers while a fetch is in flight).
class FakeAuthn final : public authn::v1::Authn::Service {
 public:
  grpc::Status GetAssertionKeys(
      grpc::ServerContext*, const authn::v1::GetAssertionKeysRequest*,
      authn::v1::GetAssertionKeysResponse* response) override {
    ++calls;
    if (hold) {
      entered.Notify();
      release.WaitForNotification();
    }
    if (failing) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
    absl::MutexLock lock(&mutex_);
    *response->add_keys() = key_;
    return grpc::Status::OK;
  }

  void SetKey(common::v1::AssertionKey key) {
    absl::MutexLock lock(&mutex_);
    key_ = std::move(key);
  }

  std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  std::atomic<bool> hold{false};
  absl::Notification entered;
  absl::Notification release;

 private:
  absl::Mutex mutex_;
  common::v1::AssertionKey key_ ABSL_GUARDED_BY(mutex_);
};

class RemoteAssertionKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    authn_.SetKey(first_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&authn_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    provider_ = std::make_unique<RemoteAssertionKeyProvider>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                            grpc::InsecureChannelCredentials()),
        kRefresh, kMinRefetch, &clock_);
  }
  void TearDown() override {
    if (!authn_.release.HasBeenNotified()) authn_.release.Notify();
    server_->Shutdown();
  }

  const common::v1::AssertionKey first_ = NewKey();
  const common::v1::AssertionKey second_ = NewKey();
  FakeAuthn authn_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  FakeClock clock_{kStart};
  std::unique_ptr<RemoteAssertionKeyProvider> provider_;
};

TEST_F(RemoteAssertionKeysTest, FirstCallFetchesThenTheSetIsCached) {
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
      provider_->Keys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_TRUE((*keys)->Contains(first_.key_id()));
  EXPECT_EQ((*keys)->size(), 1u);
  EXPECT_EQ(authn_.calls, 1);

  clock_.Advance(kRefresh - absl::Seconds(1));
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> again =
      provider_->Keys();
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *keys);  // the same snapshot, no network
  EXPECT_EQ(authn_.calls, 1);
}

TEST_F(RemoteAssertionKeysTest, RefreshesAfterTheInterval) {
  ASSERT_THAT(provider_->Keys(), IsOk());
  authn_.SetKey(second_);  // authn rotated
  clock_.Advance(kRefresh);
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
      provider_->Keys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(authn_.calls, 2);
  EXPECT_TRUE((*keys)->Contains(second_.key_id()));
  EXPECT_FALSE((*keys)->Contains(first_.key_id()));
  ASSERT_THAT(provider_->Keys(), IsOk());
  EXPECT_EQ(authn_.calls, 2);
}

TEST_F(RemoteAssertionKeysTest, OtherCallersKeepTheCachedSetDuringARefresh) {
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> cached =
      provider_->Keys();
  ASSERT_THAT(cached, IsOk());
  authn_.SetKey(second_);
  authn_.hold = true;
  clock_.Advance(kRefresh);

  // One caller refreshes and is held inside the RPC...
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> refreshed;
  std::thread refresher([&] { refreshed = provider_->Keys(); });
  authn_.entered.WaitForNotification();
  // ...while everyone else gets the cached set at once and starts no fetch
  // of their own (before the fix they queued behind the RPC on the lock).
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
        provider_->Keys();
    ASSERT_THAT(keys, IsOk());
    EXPECT_EQ(*keys, *cached);
  }
  EXPECT_EQ(authn_.calls, 2);

  authn_.release.Notify();
  refresher.join();
  ASSERT_THAT(refreshed, IsOk());
  EXPECT_TRUE((*refreshed)->Contains(second_.key_id()));
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> after =
      provider_->Keys();
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(*after, *refreshed);
  EXPECT_EQ(authn_.calls, 2);
}

TEST_F(RemoteAssertionKeysTest, StaleSetIsServedWhileAuthnIsUnreachable) {
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> cached =
      provider_->Keys();
  ASSERT_THAT(cached, IsOk());
  server_->Shutdown();

  for (int i = 0; i < 3; ++i) {
    clock_.Advance(kRefresh);  // every call is due for a refresh, which fails
    absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
        provider_->Keys();
    ASSERT_THAT(keys, IsOk());
    EXPECT_EQ(*keys, *cached);
    absl::StatusOr<std::shared_ptr<const assertion::KeySet>> after_miss =
        provider_->KeysAfterMiss("unknown-kid");
    ASSERT_THAT(after_miss, IsOk());
    EXPECT_EQ(*after_miss, *cached);
  }
}

TEST_F(RemoteAssertionKeysTest, FailedFetchWithNothingCachedFailsClosed) {
  authn_.failing = true;
  EXPECT_THAT(provider_->Keys(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(authn_.calls, 1);
  // Within the back-off nobody asks again; still closed.
  clock_.Advance(kMinRefetch - absl::Seconds(1));
  EXPECT_THAT(provider_->Keys(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(provider_->KeysAfterMiss("kid"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(authn_.calls, 1);

  authn_.failing = false;  // authn is back
  clock_.Advance(absl::Seconds(1));
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
      provider_->Keys();
  ASSERT_THAT(keys, IsOk());
  EXPECT_TRUE((*keys)->Contains(first_.key_id()));
  EXPECT_EQ(authn_.calls, 2);
}

TEST_F(RemoteAssertionKeysTest, UnreachableAuthnWithNothingCachedFailsClosed) {
  server_->Shutdown();
  EXPECT_THAT(provider_->Keys(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(provider_->KeysAfterMiss("kid"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(RemoteAssertionKeysTest, UnknownKeyIdsRefetchAtMostOncePerInterval) {
  ASSERT_THAT(provider_->Keys(), IsOk());
  authn_.SetKey(second_);
  // Just fetched: a miss does not ask again, however many arrive.
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(provider_->KeysAfterMiss("kid-" + std::to_string(i)), IsOk());
  }
  EXPECT_EQ(authn_.calls, 1);

  clock_.Advance(kMinRefetch);
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> keys =
      provider_->KeysAfterMiss(second_.key_id());
  ASSERT_THAT(keys, IsOk());
  EXPECT_TRUE((*keys)->Contains(second_.key_id()));
  EXPECT_EQ(authn_.calls, 2);
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(provider_->KeysAfterMiss("kid-" + std::to_string(i)), IsOk());
  }
  EXPECT_EQ(authn_.calls, 2);

  // A failed re-fetch also holds further misses off for the interval.
  authn_.failing = true;
  clock_.Advance(kMinRefetch);
  ASSERT_THAT(provider_->KeysAfterMiss("kid"), IsOk());  // the cached set
  ASSERT_THAT(provider_->KeysAfterMiss("kid"), IsOk());
  EXPECT_EQ(authn_.calls, 3);
  clock_.Advance(kMinRefetch);
  ASSERT_THAT(provider_->KeysAfterMiss("kid"), IsOk());
  EXPECT_EQ(authn_.calls, 4);
}

TEST_F(RemoteAssertionKeysTest, MissDuringARefreshUsesThatFetch) {
  ASSERT_THAT(provider_->Keys(), IsOk());
  authn_.SetKey(second_);
  authn_.hold = true;
  clock_.Advance(kRefresh);

  std::thread refresher([&] { EXPECT_THAT(provider_->Keys(), IsOk()); });
  authn_.entered.WaitForNotification();
  // A caller that needs the new set gets the in-flight fetch's result
  // (whether it waited for it or arrived after it), never a second fetch.
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> after_miss;
  std::thread missing(
      [&] { after_miss = provider_->KeysAfterMiss(second_.key_id()); });
  authn_.release.Notify();
  refresher.join();
  missing.join();
  ASSERT_THAT(after_miss, IsOk());
  EXPECT_TRUE((*after_miss)->Contains(second_.key_id()));
  EXPECT_EQ(authn_.calls, 2);
}

}  // namespace
}  // namespace bastion
