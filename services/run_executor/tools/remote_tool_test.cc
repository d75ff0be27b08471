// Tests RemoteTool against a real in-process ToolService: what reaches the
// tool server (both credentials, the ids), and how its answers, silences
// and failures come back.
#include "services/run_executor/tools/remote_tool.h"

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/channel_factory.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/tools/fake_tool_service.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

class RemoteToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = FakeToolServer::Start();
    ASSERT_NE(fake_, nullptr);
    channel_ = ChannelFactory(/*credentials=*/nullptr, fake_->identity.get())
                   .Channel(fake_->address());
    alice_.principal.set_subject("alice");
    alice_.assertion = "assertion-of-alice";
  }

  RemoteTool Tool(const std::string& name) {
    return RemoteTool(ToolDefinition{name, "", ""}, channel_);
  }

  absl::StatusOr<ToolOutcome> Call(const RemoteTool& tool,
                                   absl::Duration timeout = absl::Seconds(10),
                                   const Caller* caller = nullptr) {
    const FixedRunCaller acting(caller != nullptr ? *caller : alice_);
    ToolInvocation invocation;
    invocation.caller = &acting;
    invocation.run_id = "run-7";
    invocation.tool_call_id = "call-3";
    invocation.arguments_json = R"({"order_id": "A-1"})";
    invocation.deadline = absl::Now() + timeout;
    invocation.cancelled = [this] { return cancelled_.load(); };
    return tool.Invoke(invocation);
  }

  std::unique_ptr<FakeToolServer> fake_;
  std::shared_ptr<grpc::Channel> channel_;
  Caller alice_;
  std::atomic<bool> cancelled_{false};
};

TEST_F(RemoteToolTest, CallsAsTheServiceForTheRunOwner) {
  absl::StatusOr<ToolOutcome> outcome = Call(Tool("echo"));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_FALSE(outcome->is_error);
  const nlohmann::json result = nlohmann::json::parse(outcome->content);
  EXPECT_EQ(result["arguments"], R"({"order_id": "A-1"})");
  EXPECT_EQ(result["for"], "assertion-of-alice");
  EXPECT_EQ(fake_->service->ServicesSeen(),
            std::vector<std::string>{"service:run_executor"});
  ASSERT_EQ(fake_->service->Requests().size(), 1u);
  const v1::InvokeToolRequest request = fake_->service->Requests()[0];
  EXPECT_EQ(request.tool_name(), "echo");
  EXPECT_EQ(request.run_id(), "run-7");
  EXPECT_EQ(request.tool_call_id(), "call-3");
}

TEST_F(RemoteToolTest, KeepsTheServersErrorResult) {
  absl::StatusOr<ToolOutcome> outcome = Call(Tool("fail"));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->is_error);
  EXPECT_EQ(outcome->content, "the order does not exist");
}

TEST_F(RemoteToolTest, WithoutTheOwnersAssertionNothingIsSent) {
  Caller no_assertion;
  no_assertion.principal.set_subject("alice");
  EXPECT_THAT(Call(Tool("echo"), absl::Seconds(10), &no_assertion),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ToolInvocation no_caller;
  no_caller.deadline = absl::Now() + absl::Seconds(10);
  EXPECT_THAT(Tool("echo").Invoke(no_caller),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(fake_->service->invocations.load(), 0);
}

TEST_F(RemoteToolTest, WithoutServiceIdentityTheServerRefuses) {
  RemoteTool plain(ToolDefinition{"echo", "", ""},
                   grpc::CreateChannel(fake_->address(),
                                       grpc::InsecureChannelCredentials()));
  EXPECT_THAT(Call(plain), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(fake_->service->invocations.load(), 0);
}

TEST_F(RemoteToolTest, AHungServerMeetsTheDeadline) {
  const absl::Time start = absl::Now();
  EXPECT_THAT(Call(Tool("hang"), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(RemoteToolTest, ACancelledRunCancelsTheCall) {
  cancelled_ = true;
  const absl::Time start = absl::Now();
  EXPECT_THAT(Call(Tool("hang"), absl::Seconds(60)),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(RemoteToolTest, AnAnswerOverTheChannelLimitIsRefused) {
  fake_->service->big_result_bytes = 5 * 1024 * 1024;
  EXPECT_THAT(Call(Tool("big")), StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(RemoteToolTest, AResultForAnotherCallIsAnError) {
  absl::StatusOr<ToolOutcome> outcome = Call(Tool("wrong_call_id"));
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->is_error);
  EXPECT_THAT(outcome->content, Not(HasSubstr("stolen")));
}

TEST_F(RemoteToolTest, TheServersErrorTextIsNotPassedOn) {
  absl::StatusOr<ToolOutcome> outcome = Call(Tool("refuse"));
  EXPECT_THAT(outcome, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(outcome.status().message()), Not(HasSubstr("secret")));
}

TEST_F(RemoteToolTest, AnUnreachableServerIsUnavailable) {
  const std::string address = fake_->address();
  fake_->server.reset();
  RemoteTool gone(ToolDefinition{"echo", "", ""},
                  ChannelFactory(nullptr, fake_->identity.get()).Channel(address));
  EXPECT_THAT(Call(gone), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace bastion::runs
