// The shared time seam (common/clock/clock.h), under this library's names.
#ifndef BASTION_SERVICES_AUTHN_JWT_CLOCK_H_
#define BASTION_SERVICES_AUTHN_JWT_CLOCK_H_

#include "common/clock/clock.h"

namespace bastion::authn::jwt {

using ::bastion::Clock;
using ::bastion::SystemClock;

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_CLOCK_H_
