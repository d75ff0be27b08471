// The shared test clock (common/clock/fake_clock.h), under this library's
// names (testonly).
#ifndef BASTION_COMMON_ASSERTION_FAKE_CLOCK_H_
#define BASTION_COMMON_ASSERTION_FAKE_CLOCK_H_

#include "common/clock/fake_clock.h"
#include "common/assertion/clock.h"

namespace bastion::assertion {

using ::bastion::FakeClock;

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_FAKE_CLOCK_H_
