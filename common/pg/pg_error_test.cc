// The SQLSTATE -> status mapping (pure; no database).
#include "common/pg/pg_error.h"

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::pg {
namespace {

using ::bastion::testing::StatusIs;

TEST(StatusFromSqlStateTest, MapsClasses) {
  EXPECT_THAT(StatusFromSqlState("23505", false),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(StatusFromSqlState("40001", false),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(StatusFromSqlState("40P01", false),
              StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(StatusFromSqlState("23503", false),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(StatusFromSqlState("23502", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StatusFromSqlState("23514", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StatusFromSqlState("22P02", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(StatusFromSqlState("08006", false),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromSqlState("57P01", false),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromSqlState("57014", false),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(StatusFromSqlState("42501", false),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(StatusFromSqlState("42P01", false),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(StatusFromSqlState("", false),
              StatusIs(absl::StatusCode::kInternal));
}

TEST(StatusFromSqlStateTest, LostConnectionWinsOverSqlState) {
  EXPECT_THAT(StatusFromSqlState("23505", true),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(StatusFromSqlState("", true),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(StatusFromPgTest, NullResultAndConnectionIsUnavailable) {
  EXPECT_THAT(StatusFromPg(nullptr, nullptr, "test"),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::pg
