// StartServer refuses to start a server whose services declare a
// permission outside the closed set, naming the method and the name, and
// starts one whose declarations are all valid.
#include "common/server/server.h"

#include <memory>
#include <string>

#include "bastion/test/v1/test.grpc.pb.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

TEST(StartServerTest, UnknownResourceRefusesStartupNamingIt) {
  test::v1::UnknownResource::Service service;
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
      ServerOptions(), {{&service, "bastion.test.v1.UnknownResource"}});
  ASSERT_THAT(server, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("bastion.test.v1.UnknownResource.Widget declares "
                        "unknown resource \"widgets\""));
}

TEST(StartServerTest, UnknownActionRefusesStartupNamingIt) {
  test::v1::Annotated::Service valid;
  test::v1::UnknownAction::Service service;
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      StartServer(ServerOptions(), {{&valid, "bastion.test.v1.Annotated"},
                                    {&service, "bastion.test.v1.UnknownAction"}});
  ASSERT_THAT(server, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("bastion.test.v1.UnknownAction.Frobnicate declares "
                        "unknown action \"frobnicate\""));
}

TEST(StartServerTest, ValidDeclarationsStart) {
  test::v1::Annotated::Service valid;
  absl::StatusOr<std::unique_ptr<RunningServer>> server =
      StartServer(ServerOptions(), {{&valid, "bastion.test.v1.Annotated"}});
  ASSERT_THAT(server, IsOk());
  EXPECT_GT((*server)->port(), 0);
  (*server)->Shutdown();
}

}  // namespace
}  // namespace bastion
