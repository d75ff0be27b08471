// Tests that every RPC of every Bastion service declares a valid permission,
// and that a missing or inconsistent declaration, or a resource or action
// outside the closed set, refuses startup.
#include "common/server/permission_table.h"

#include "bastion/authn/v1/authn.pb.h"
#include "bastion/authz/v1/authz.pb.h"
#include "bastion/data/v1/data.pb.h"
#include "bastion/runs/v1/runs.pb.h"
#include "bastion/test/v1/test.pb.h"
#include "common/auth/permission_set.h"
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
  EXPECT_THAT(ValidatePermissions(names), IsOk());
  auto sessions = ReadPermissions("bastion.data.v1.Sessions");
  ASSERT_THAT(sessions, IsOk());
  EXPECT_TRUE(sessions->contains("GetSession"));
  EXPECT_FALSE(sessions->contains("NoSuchMethod"));
  EXPECT_EQ(sessions->at("GetSession").permission.id_field(), "session_id");
  ASSERT_EQ(sessions->at("GetSession").id_path.size(), 1u);
}

TEST(PermissionTableTest, MissingDeclarationRefusesStartupNamingTheMethod) {
  absl::Status status = ValidatePermissions({"bastion.test.v1.Forgotten"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("bastion.test.v1.Forgotten.Missing"));
}

TEST(PermissionTableTest, InconsistentDeclarationsRefuseStartup) {
  EXPECT_THAT(ValidatePermissions({"bastion.test.v1.Inconsistent"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ValidatePermissions({"bastion.test.v1.BadIdField"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ValidatePermissions({"bastion.test.v1.NoSuchService"}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ReadPermissions("bastion.test.v1.BadIdField"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PermissionTableTest, UnknownResourceRefusesStartupNamingIt) {
  absl::Status status = ValidatePermissions({"bastion.test.v1.UnknownResource"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("bastion.test.v1.UnknownResource.Widget"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("unknown resource \"widgets\""));
}

TEST(PermissionTableTest, UnknownActionRefusesStartupNamingIt) {
  absl::Status status = ValidatePermissions({"bastion.test.v1.UnknownAction"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("bastion.test.v1.UnknownAction.Frobnicate"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("unknown action \"frobnicate\""));
  status = ValidatePermissions({"bastion.test.v1.UnknownInternalAction"});
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("unknown action \"sync\""));
}

TEST(PermissionTableTest, EveryDeclaredResourceAndActionIsInTheSharedSet) {
  // The same check, stated for the real services one method at a time, so
  // a failure names the method.
  for (const std::string& name : AllBastionServices()) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const common::v1::Permission& permission =
          service->method(i)->options().GetExtension(common::v1::permission);
      if (!permission.resource().empty()) {
        EXPECT_TRUE(ParseResource(permission.resource()).has_value())
            << service->method(i)->full_name();
      }
      if (!permission.action().empty()) {
        EXPECT_TRUE(IsDeclarableAction(permission.action()))
            << service->method(i)->full_name();
      }
    }
  }
}

TEST(PermissionTableTest, ExtractsFlatAndNestedIds) {
  const google::protobuf::Descriptor& type = *test::v1::EchoRequest::descriptor();
  test::v1::EchoRequest request;
  request.set_thing_id("t-1");
  request.mutable_inner()->set_name("auditor");
  auto Extract = [&](const test::v1::EchoRequest& r, absl::string_view field) {
    absl::StatusOr<IdFieldPath> path = ResolveIdField(type, field);
    EXPECT_THAT(path, IsOk()) << field;
    return path.ok() ? ExtractResourceId(r, *path) : "<unresolved>";
  };
  EXPECT_EQ(Extract(request, "thing_id"), "t-1");
  EXPECT_EQ(Extract(request, "inner.name"), "auditor");
  EXPECT_EQ(Extract(request, ""), "");
  EXPECT_EQ(Extract(test::v1::EchoRequest(), "inner.name"), "");
  // Not a string field, not a field, not singular messages all the way.
  EXPECT_FALSE(ResolveIdField(type, "count").ok());
  EXPECT_FALSE(ResolveIdField(type, "nope").ok());
  EXPECT_FALSE(ResolveIdField(type, "thing_id.x").ok());
}

}  // namespace
}  // namespace bastion
