// Every status code has its documented exit code; usage errors are told
// apart from a server's INVALID_ARGUMENT.
#include "tools/cli/exit_codes.h"

#include <set>

#include "gtest/gtest.h"

namespace bastion::cli {
namespace {

TEST(ExitCodesTest, EachStatusCodeMapsToItsDocumentedExitCode) {
  const struct {
    absl::StatusCode code;
    int exit;
  } kCases[] = {
      {absl::StatusCode::kOk, 0},
      {absl::StatusCode::kCancelled, 1},
      {absl::StatusCode::kUnknown, 1},
      {absl::StatusCode::kInvalidArgument, 6},
      {absl::StatusCode::kDeadlineExceeded, 7},
      {absl::StatusCode::kNotFound, 5},
      {absl::StatusCode::kAlreadyExists, 8},
      {absl::StatusCode::kPermissionDenied, 4},
      {absl::StatusCode::kResourceExhausted, 9},
      {absl::StatusCode::kFailedPrecondition, 6},
      {absl::StatusCode::kAborted, 8},
      {absl::StatusCode::kOutOfRange, 6},
      {absl::StatusCode::kUnimplemented, 10},
      {absl::StatusCode::kInternal, 1},
      {absl::StatusCode::kUnavailable, 7},
      {absl::StatusCode::kDataLoss, 1},
      {absl::StatusCode::kUnauthenticated, 3},
  };
  for (const auto& [code, exit] : kCases) {
    EXPECT_EQ(ExitCodeFor(absl::Status(code, "x")), exit)
        << absl::StatusCodeToString(code);
  }
}

TEST(ExitCodesTest, UsageErrorsExitWithTwoButServerInvalidArgumentWithSix) {
  EXPECT_EQ(ExitCodeFor(UsageError("unknown flag --x")), kExitUsage);
  EXPECT_TRUE(IsUsageError(UsageError("x")));
  EXPECT_EQ(UsageError("x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("from the server")));
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("from the server")),
            kExitInvalid);
}

TEST(ExitCodesTest, AFollowedRunThatDidNotCompleteSaysHowItEnded) {
  EXPECT_EQ(ExitCodeFor(RunEndedStatus(kExitRunFailed, "failed")), 11);
  EXPECT_EQ(ExitCodeFor(RunEndedStatus(kExitRunCancelled, "cancelled")), 12);
  EXPECT_EQ(ExitCodeFor(RunEndedStatus(kExitRunPaused, "paused")), 13);
  EXPECT_TRUE(IsRunEnded(RunEndedStatus(kExitRunPaused, "paused")));
  // A server's ABORTED is a conflict, not a run outcome.
  EXPECT_FALSE(IsRunEnded(absl::AbortedError("x")));
  EXPECT_EQ(ExitCodeFor(absl::AbortedError("x")), kExitConflict);
}

TEST(ExitCodesTest, TheDocumentedTableListsEveryCodeExactlyOnce) {
  std::set<int> documented;
  for (const ExitCodeDoc& row : ExitCodeTable()) {
    EXPECT_TRUE(documented.insert(row.code).second) << row.code;
    EXPECT_FALSE(row.meaning.empty());
  }
  std::set<int> produced = {ExitCodeFor(UsageError("x"))};
  for (ExitCode ended : {kExitRunFailed, kExitRunCancelled, kExitRunPaused})
    produced.insert(ExitCodeFor(RunEndedStatus(ended, "x")));
  for (int code = 0; code <= 16; ++code) {
    produced.insert(
        ExitCodeFor(absl::Status(static_cast<absl::StatusCode>(code), "x")));
  }
  EXPECT_EQ(produced, documented);
}

}  // namespace
}  // namespace bastion::cli
