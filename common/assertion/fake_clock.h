// A manually driven Clock for tests (testonly).
#ifndef BASTION_COMMON_ASSERTION_FAKE_CLOCK_H_
#define BASTION_COMMON_ASSERTION_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/assertion/clock.h"

namespace bastion::assertion {

// Manually driven clock for tests. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_FAKE_CLOCK_H_
