// Tests that every RPC of every Bastion service declares a valid permission,
// and that a missing or inconsistent declaration refuses startup.
#include "common/server/permission_table.h"

#include "bastion/authn/v1/authn.pb.h"
#include "bastion/authz/v1/authz.pb.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"
#include "bastion/test/v1/test.pb.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

// Every service of every Bastion proto package, found from the descriptors
// so that a new service or RPC is covered without editing this test.
std::vector<std::string> AllBastionServices() {
  std::vector<std::string> names;
  for (const google::protobuf::FileDescriptor* file :
       {authn::v1::AuthenticateRequest::descriptor()->file(),
        authz::v1::CheckRequest::descriptor()->file(),
        data::v1::Session::descriptor()->file(),
        runs::v1::Agent::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) {
      names.push_back(file->service(i)->full_name());
    }
  }
  return names;
}

TEST(PermissionTableTest, EveryBastionRpcDeclaresAValidPermission) {
  const std::vector<std::string> names = AllBastionServices();
  ASSERT_GE(names.size(), 14u);
  absl::StatusOr<PermissionTable> table = PermissionTable::Build(names);
  ASSERT_THAT(table, IsOk());
  EXPECT_NE(table->Find("bastion.data.v1.Sessions", "GetSession"), nullptr);
  EXPECT_EQ(table->Find("bastion.data.v1.Sessions", "NoSuchMethod"), nullptr);
}

TEST(PermissionTableTest, MissingDeclarationRefusesStartupNamingTheMethod) {
  absl::StatusOr<PermissionTable> table =
      PermissionTable::Build({"bastion.test.v1.Forgotten"});
  EXPECT_THAT(table, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(table.status().message()),
              HasSubstr("bastion.test.v1.Forgotten.Missing"));
}

TEST(PermissionTableTest, InconsistentDeclarationsRefuseStartup) {
  EXPECT_THAT(PermissionTable::Build({"bastion.test.v1.Inconsistent"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(PermissionTable::Build({"bastion.test.v1.BadIdField"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(PermissionTable::Build({"bastion.test.v1.NoSuchService"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PermissionTableTest, ExtractsFlatAndNestedIds) {
  test::v1::EchoRequest request;
  request.set_thing_id("t-1");
  request.mutable_inner()->set_name("auditor");
  EXPECT_EQ(ExtractResourceId(request, "thing_id"), "t-1");
  EXPECT_EQ(ExtractResourceId(request, "inner.name"), "auditor");
  EXPECT_EQ(ExtractResourceId(request, "count"), "");
  EXPECT_EQ(ExtractResourceId(request, ""), "");
  EXPECT_EQ(ExtractResourceId(test::v1::EchoRequest(), "inner.name"), "");
}

}  // namespace
}  // namespace bastion
