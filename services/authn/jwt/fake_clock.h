// The shared test clock (common/clock/fake_clock.h), under this library's
// names (testonly).
#ifndef BASTION_SERVICES_AUTHN_JWT_FAKE_CLOCK_H_
#define BASTION_SERVICES_AUTHN_JWT_FAKE_CLOCK_H_

#include "common/clock/fake_clock.h"
#include "services/authn/jwt/clock.h"

namespace bastion::authn::jwt {

using ::bastion::FakeClock;

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_FAKE_CLOCK_H_
