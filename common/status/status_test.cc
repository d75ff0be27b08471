// Tests for the status helpers and the absl -> gRPC mapping.
#include <string>

#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  ASSIGN_OR_RETURN(int half, Half(n));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int n) {
  RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnPropagatesErrors) {
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(Quarter(8), IsOk());
  EXPECT_EQ(*Quarter(8), 2);
}

TEST(StatusMacrosTest, ReturnIfErrorPropagatesErrors) {
  EXPECT_THAT(CheckEven(3), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckEven(4), IsOk());
}

TEST(GrpcStatusTest, MapsEveryCodeOneToOne) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "m");
    grpc::Status mapped = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(mapped.error_code()), code);
    EXPECT_EQ(FromGrpcStatus(mapped).code(), status.code());
  }
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("no such session")).error_message(),
            "no such session");
}

}  // namespace
}  // namespace bastion
