// gtest matcher asserting the specific JWT rejection Reason (test-only).
#ifndef BASTION_SERVICES_AUTHN_JWT_TESTING_MATCHERS_H_
#define BASTION_SERVICES_AUTHN_JWT_TESTING_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "services/authn/jwt/reason.h"

namespace bastion::authn::jwt::testing {

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// EXPECT_THAT(verifier->Verify(token), RejectedWith(Reason::kAlgNone));
// Also requires code UNAUTHENTICATED.
MATCHER_P(RejectedWith, reason,
          std::string("is rejected with reason ") +
              std::string(::bastion::authn::jwt::ReasonName(reason))) {
  const absl::Status& status = StatusOf(arg);
  *result_listener << "whose status is " << status;
  return status.code() == absl::StatusCode::kUnauthenticated &&
         ::bastion::authn::jwt::ReasonOf(status) == reason;
}

}  // namespace bastion::authn::jwt::testing

#endif  // BASTION_SERVICES_AUTHN_JWT_TESTING_MATCHERS_H_
