// Tests that OrderedKeySource does not hold its lock while the rotating
// source works (a JWKS file source stats and re-reads its file inside
// Current()), and that a caller finishing late with an older rotating set
// never swaps the newer merged keys back out.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"
#include "services/authn/jwt/key.h"
#include "services/authn/jwt/key_set.h"
#include "services/authn/key_sources.h"

namespace bastion::authn {
namespace {

using ::bastion::testing::IsOk;

std::shared_ptr<const jwt::VerificationKey> Key(const std::string& kid) {
  absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> key =
      jwt::VerificationKey::FromHmacSecret(std::string(32, 'k') + kid, kid,
                                           jwt::AlgorithmSet());
  EXPECT_THAT(key, IsOk());
  return *key;
}

std::shared_ptr<const jwt::KeySet> Set(const std::string& kid) {
  absl::StatusOr<std::shared_ptr<const jwt::KeySet>> set =
      jwt::KeySet::Create({Key(kid)});
  EXPECT_THAT(set, IsOk());
  return *set;
}

// A rotating source whose next Current() can be held until released, still
// handing out the set that was current when the call began (like a file
// source busy re-reading its file).
class SlowSource final : public jwt::KeySource {
 public:
  explicit SlowSource(std::shared_ptr<const jwt::KeySet> keys)
      : keys_(std::move(keys)) {}

  std::shared_ptr<const jwt::KeySet> Current() const override {
    std::shared_ptr<const jwt::KeySet> keys;
    bool hold = false;
    {
      absl::MutexLock lock(&mutex_);
      keys = keys_;
      hold = hold_next_;
      hold_next_ = false;
    }
    if (hold) {
      entered.Notify();
      release.WaitForNotification();
    }
    return keys;
  }

  void Rotate(std::shared_ptr<const jwt::KeySet> keys) {
    absl::MutexLock lock(&mutex_);
    keys_ = std::move(keys);
  }
  void HoldNextCall() {
    absl::MutexLock lock(&mutex_);
    hold_next_ = true;
  }

  mutable absl::Notification entered;
  absl::Notification release;

 private:
  mutable absl::Mutex mutex_;
  std::shared_ptr<const jwt::KeySet> keys_ ABSL_GUARDED_BY(mutex_);
  mutable bool hold_next_ ABSL_GUARDED_BY(mutex_) = false;
};

TEST(OrderedKeySourceConcurrencyTest, SlowRotatingSourceBlocksNoOtherCaller) {
  auto rotating = std::make_shared<SlowSource>(Set("old"));
  absl::StatusOr<std::unique_ptr<OrderedKeySource>> source =
      OrderedKeySource::Create({Key("fixed")}, rotating);
  ASSERT_THAT(source, IsOk());

  // One caller is stuck inside the rotating source with the old set...
  rotating->HoldNextCall();
  std::shared_ptr<const jwt::KeySet> late;
  std::thread slow([&] { late = (*source)->Current(); });
  rotating->entered.WaitForNotification();

  // ...while the keys rotate and other callers go on (before the fix they
  // queued behind the slow call on the lock) and see the new keys.
  rotating->Rotate(Set("new"));
  std::shared_ptr<const jwt::KeySet> current = (*source)->Current();
  EXPECT_NE(current->FindByKid("new"), nullptr);
  EXPECT_NE(current->FindByKid("fixed"), nullptr);
  EXPECT_EQ(current->FindByKid("old"), nullptr);

  // The slow caller finishes with the older set: the newer merge stays.
  rotating->release.Notify();
  slow.join();
  EXPECT_EQ(late, current);
  EXPECT_EQ((*source)->Current(), current);
}

}  // namespace
}  // namespace bastion::authn
