// The time seam every Bastion library uses: production passes SystemClock,
// tests a FakeClock (fake_clock.h), so no test sleeps for time to pass.
#ifndef BASTION_COMMON_CLOCK_CLOCK_H_
#define BASTION_COMMON_CLOCK_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace bastion {

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

}  // namespace bastion

#endif  // BASTION_COMMON_CLOCK_CLOCK_H_
