// gtest matchers for absl::Status and absl::StatusOr (test-only).
#ifndef BASTION_COMMON_STATUS_STATUS_MATCHERS_H_
#define BASTION_COMMON_STATUS_STATUS_MATCHERS_H_

#include <ostream>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace bastion::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// EXPECT_THAT(DoIt(), StatusIs(absl::StatusCode::kNotFound));
MATCHER_P(StatusIs, code,
          std::string("has status code ") +
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code))) {
  const absl::Status& status = ::bastion::testing::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.code() == code;
}

// EXPECT_THAT(DoIt(), IsOk());
MATCHER(IsOk, "is OK") {
  const absl::Status& status = ::bastion::testing::GetStatus(arg);
  *result_listener << "whose status is " << status;
  return status.ok();
}

}  // namespace bastion::testing

#endif  // BASTION_COMMON_STATUS_STATUS_MATCHERS_H_
