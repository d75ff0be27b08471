// The shared time seam (common/clock/clock.h), under this library's names.
#ifndef BASTION_COMMON_ASSERTION_CLOCK_H_
#define BASTION_COMMON_ASSERTION_CLOCK_H_

#include "common/clock/clock.h"

namespace bastion::assertion {

using ::bastion::Clock;
using ::bastion::SystemClock;

}  // namespace bastion::assertion

#endif  // BASTION_COMMON_ASSERTION_CLOCK_H_
