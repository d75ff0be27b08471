// A manually driven Clock for tests and the fuzzer (testonly).
#ifndef BASTION_SERVICES_AUTHN_JWT_FAKE_CLOCK_H_
#define BASTION_SERVICES_AUTHN_JWT_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/authn/jwt/clock.h"

namespace bastion::authn::jwt {

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

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_FAKE_CLOCK_H_
