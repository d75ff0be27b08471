// Tests for config loading: unknown keys are named, env overrides apply.
#include "common/config/config.h"

#include <map>

#include "bastion/common/v1/common.pb.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

using ::bastion::common::v1::AssertionClaims;
using ::bastion::common::v1::Permission;
using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, ParsesKnownKeys) {
  Permission config;
  ASSERT_THAT(ParseConfigJson(R"({"resource": "agents", "public": true})",
                              &config),
              IsOk());
  EXPECT_EQ(config.resource(), "agents");
  EXPECT_TRUE(config.public_());
}

TEST(ConfigTest, RejectsUnknownTopLevelKeyByName) {
  Permission config;
  absl::Status status =
      ParseConfigJson(R"({"resource": "agents", "resourse": "x"})", &config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("resourse"));
}

TEST(ConfigTest, RejectsUnknownNestedKeyByName) {
  AssertionClaims config;
  absl::Status status = ParseConfigJson(
      R"({"principal": {"subject": "u", "tennant_id": "t"}})", &config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("tennant_id"));
}

TEST(ConfigTest, RejectsWrongTypes) {
  Permission config;
  EXPECT_THAT(ParseConfigJson(R"({"public": [1]})", &config),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseConfigJson(R"({"resource": )", &config),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConfigTest, EnvironmentOverridesTopLevelFields) {
  AssertionClaims config;
  config.add_audiences("from-file");
  ASSERT_THAT(ApplyEnvOverrides("BASTION_",
                                FakeEnv({{"BASTION_AUDIENCES", "a, b"},
                                         {"BASTION_ISSUED_AT_UNIX", "42"},
                                         {"OTHER_ASSERTION_ID", "ignored"}}),
                                &config),
              IsOk());
  EXPECT_THAT(config.audiences(), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(config.issued_at_unix(), 42);
  EXPECT_EQ(config.assertion_id(), "");
}

TEST(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  AssertionClaims config;
  absl::Status status = ApplyEnvOverrides(
      "BASTION_", FakeEnv({{"BASTION_ISSUED_AT_UNIX", "soon"}}), &config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("BASTION_ISSUED_AT_UNIX"));
}

TEST(ConfigTest, MissingFileIsAnError) {
  Permission config;
  EXPECT_THAT(LoadConfig("/nonexistent/bastion.json", "BASTION_",
                         FakeEnv({}), &config),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace bastion
