// Time source for assertion validity checks. A seam: production uses
// SystemClock, tests inject FakeClock (fake_clock.h) so no test sleeps.
#ifndef BASTION_COMMON_ASSERTION_CLOCK_H_
#define BASTION_COMMON_ASSERTION_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace bastion::assertion {

// Thread-safety: implementations must be safe to call concurrently.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall clock. Thread-safe, stateless.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance that is never destroyed.
  static const SystemClock* Get() {
    static const SystemClock* const kClock = new SystemClock();
    return kClock;
  }
};

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_CLOCK_H_
