// Tests the suite's grants: each one names real methods, and each service
// gets exactly the methods least privilege allows it.
#include "tools/service_identity/suite_grants.h"

#include <algorithm>

#include "common/status/status_matchers.h"
#include "gtest/gtest.h"

namespace bastion::service_identity {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;

std::vector<std::string> MethodsOf(const std::string& service) {
  absl::StatusOr<std::vector<std::string>> methods =
      ExpandGrants(SuiteGrants().at(service));
  EXPECT_THAT(methods, IsOk());
  return methods.ok() ? *methods : std::vector<std::string>();
}

bool Has(const std::vector<std::string>& methods, const std::string& method) {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

TEST(SuiteGrantsTest, EveryServiceOfTheSuiteHasGrants) {
  for (const char* service : {"authn", "authz", "data", "run_executor"}) {
    EXPECT_FALSE(MethodsOf(service).empty()) << service;
  }
  EXPECT_EQ(SuiteGrants().size(), 4u);
}

TEST(SuiteGrantsTest, ServicesExpandToEveryMethodAndMethodsToThemselves) {
  absl::StatusOr<std::vector<std::string>> methods = ExpandGrants(
      {"bastion.data.v1.AuditWriter", "bastion.data.v1.Traces/AppendSpans"});
  ASSERT_THAT(methods, IsOk());
  EXPECT_EQ(*methods, (std::vector<std::string>{
                          "bastion.data.v1.AuditWriter/AppendAuditEvents",
                          "bastion.data.v1.Traces/AppendSpans"}));
}

TEST(SuiteGrantsTest, UnknownNamesAreRefused) {
  for (const char* grant :
       {"bastion.data.v1.Nothing", "bastion.data.v1.Traces/Nothing",
        "bastion.test.v1.Annotated", "Traces"}) {
    EXPECT_THAT(ExpandGrants({grant}),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << grant;
  }
}

TEST(SuiteGrantsTest, RunExecutorReachesItsRecordsButNoUserFacingReads) {
  const std::vector<std::string> runs = MethodsOf("run_executor");
  for (const char* method :
       {"bastion.data.v1.RunRecords/CreateRun",
        "bastion.data.v1.ApprovalRecords/ResolveApproval",
        "bastion.data.v1.ScheduleRecords/ClaimDueSchedules",
        "bastion.data.v1.Traces/AppendSpans",
        "bastion.data.v1.Memories/ListMemories",
        "bastion.data.v1.Sessions/GetSession",
        "bastion.data.v1.Sessions/CreateSession",
        "bastion.data.v1.AuditWriter/AppendAuditEvents",
        "bastion.authz.v1.Authz/Check", "bastion.authz.v1.Authz/CheckTool",
        "bastion.runs.v1.ToolService/Invoke",
        "bastion.authn.v1.Delegations/ExchangeForRun",
        "bastion.authn.v1.Delegations/ExchangeForSchedule",
        "bastion.authn.v1.Delegations/ExchangeScheduleForRun",
        "bastion.authn.v1.Delegations/EndScheduleGrant"}) {
    EXPECT_TRUE(Has(runs, method)) << method;
  }
  for (const char* method :
       {"bastion.data.v1.Traces/GetTrace", "bastion.data.v1.Sessions/ListSessions",
        "bastion.data.v1.AuditLog/ListAuditEvents",
        "bastion.authz.v1.Authz/PutRole"}) {
    EXPECT_FALSE(Has(runs, method)) << method;
  }
}

TEST(SuiteGrantsTest, TheOtherServicesOnlyAuditAndAsk) {
  EXPECT_EQ(MethodsOf("authz"),
            (std::vector<std::string>{
                "bastion.data.v1.AuditWriter/AppendAuditEvents"}));
  EXPECT_EQ(MethodsOf("data"),
            (std::vector<std::string>{"bastion.authz.v1.Authz/Check",
                                      "bastion.authz.v1.Authz/CheckTool"}));
  EXPECT_EQ(MethodsOf("authn"),
            (std::vector<std::string>{
                "bastion.authz.v1.Authz/Check", "bastion.authz.v1.Authz/CheckTool",
                "bastion.data.v1.AuditWriter/AppendAuditEvents"}));
}

}  // namespace
}  // namespace bastion::service_identity
