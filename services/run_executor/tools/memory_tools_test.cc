// Tests memory_search and memory_write against a fake data Memories server
// on a real gRPC port: every call carries the run owner's forwarded
// assertion and this service's identity, rows stay the owner's, and data's
// refusals become error results.
#include "services/run_executor/tools/memory_tools.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/channel_factory.h"
#include "common/auth/service_identity.h"
#include "common/auth/trusted_services.h"
#include "common/server/server.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kAliceAssertion[] = "assertion-of-alice";
constexpr char kBobAssertion[] = "assertion-of-bob";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// data's Memories as far as these tools use it: the user is whoever the
// forwarded assertion names (two opaque assertions stand for alice and
// bob), the calling service must present a trusted service assertion, and
// each user sees only its own memories. Records what every call carried.
class FakeMemories final : public data::v1::Memories::Service {
 public:
  explicit FakeMemories(std::unique_ptr<ServiceAuthenticator> services)
      : services_(std::move(services)) {}

  grpc::Status CreateMemory(grpc::ServerContext* context,
                            const data::v1::CreateMemoryRequest* request,
                            data::v1::Memory* response) override {
    std::string user;
    if (grpc::Status ok = Admit(context, &user); !ok.ok()) return ok;
    if (request->text().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "text must be 1 to 16384 characters");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    data::v1::Memory memory;
    memory.set_memory_id(absl::StrCat("m-", ++next_id_));
    memory.set_text(request->text());
    *memory.mutable_topics() = request->topics();
    memory.set_user_id(user);
    memory.set_created_at_unix_micros(1700000000000000 + next_id_);
    rows_.push_back(memory);
    *response = memory;
    return grpc::Status::OK;
  }

  grpc::Status ListMemories(grpc::ServerContext* context,
                            const data::v1::ListMemoriesRequest* request,
                            data::v1::ListMemoriesResponse* response) override {
    std::string user;
    if (grpc::Status ok = Admit(context, &user); !ok.ok()) return ok;
    std::lock_guard<std::mutex> lock(mutex_);
    last_list_ = *request;
    std::vector<data::v1::Memory> mine;
    for (const data::v1::Memory& memory : rows_) {
      const bool topic_ok =
          request->topic().empty() ||
          std::count(memory.topics().begin(), memory.topics().end(),
                     request->topic()) > 0;
      if (memory.user_id() == user && topic_ok &&
          absl::StrContains(absl::AsciiStrToLower(memory.text()),
                             absl::AsciiStrToLower(request->text_query()))) {
        mine.push_back(memory);
      }
    }
    std::reverse(mine.begin(), mine.end());  // newest first
    for (const data::v1::Memory& memory : mine) {
      if (response->memories_size() >= request->page().limit()) break;
      *response->add_memories() = memory;
    }
    return grpc::Status::OK;
  }

  std::atomic<int> calls{0};
  // When set, calls fail with this code after being admitted.
  std::atomic<int> fail_with{0};
  // When set, calls wait until the client cancels them.
  std::atomic<bool> hang{false};

  std::vector<std::string> ServicesSeen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return services_seen_;
  }
  std::vector<std::string> AssertionsSeen() {
    std::lock_guard<std::mutex> lock(mutex_);
    return assertions_seen_;
  }
  data::v1::ListMemoriesRequest LastList() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_list_;
  }

 private:
  grpc::Status Admit(grpc::ServerContext* context, std::string* user) {
    ++calls;
    const auto& metadata = context->client_metadata();
    if (metadata.count(kServiceMetadataKey) != 1) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no service");
    }
    const grpc::string_ref service = metadata.find(kServiceMetadataKey)->second;
    absl::StatusOr<common::v1::Principal> verified = services_->Verify(
        absl::string_view(service.data(), service.size()));
    if (!verified.ok()) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "bad service");
    }
    if (metadata.count(kPrincipalMetadataKey) != 1 ||
        metadata.count("authorization") != 0) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no user");
    }
    const grpc::string_ref forwarded =
        metadata.find(kPrincipalMetadataKey)->second;
    const std::string assertion(forwarded.data(), forwarded.size());
    {
      std::lock_guard<std::mutex> lock(mutex_);
      services_seen_.push_back(verified->subject());
      assertions_seen_.push_back(assertion);
    }
    if (assertion == kAliceAssertion) {
      *user = "alice";
    } else if (assertion == kBobAssertion) {
      *user = "bob";
    } else {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown user");
    }
    while (hang && !context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    if (fail_with != 0) {
      return grpc::Status(static_cast<grpc::StatusCode>(fail_with.load()),
                          "refused by data");
    }
    return grpc::Status::OK;
  }

  const std::unique_ptr<ServiceAuthenticator> services_;
  // std::mutex so that ThreadSanitizer sees the locking.
  std::mutex mutex_;
  // Guarded by mutex_.
  std::vector<data::v1::Memory> rows_;
  int next_id_ = 0;
  std::vector<std::string> services_seen_;
  std::vector<std::string> assertions_seen_;
  data::v1::ListMemoriesRequest last_list_;
};

class MemoryToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ServiceIdentity>> identity =
        ServiceIdentity::LoadOrGenerate(TempDir() + "/run_executor.pem",
                                        "run_executor");
    ASSERT_THAT(identity, IsOk());
    identity_ = *std::move(identity);
    common::v1::TrustedServices trusted;
    *trusted.add_services() = TrustedServiceOf(
        *identity_,
        {std::string(data::v1::Memories::service_full_name()) + "/CreateMemory",
         std::string(data::v1::Memories::service_full_name()) +
             "/ListMemories"});
    absl::StatusOr<std::unique_ptr<TrustedServices>> services =
        TrustedServices::Create(trusted);
    ASSERT_THAT(services, IsOk());
    data_ = std::make_unique<FakeMemories>(*std::move(services));
    absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
        ServerOptions{}, {{data_.get(), data::v1::Memories::service_full_name()}});
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    channel_ = ChannelFactory(/*credentials=*/nullptr, identity_.get())
                   .Channel(absl::StrCat("127.0.0.1:", server_->port()));
    alice_.principal.set_subject("alice");
    alice_.assertion = kAliceAssertion;
    bob_.principal.set_subject("bob");
    bob_.assertion = kBobAssertion;
  }

  absl::StatusOr<ToolOutcome> Call(const Tool& tool, const Caller* caller,
                                   const std::string& arguments_json,
                                   absl::Duration timeout = absl::Seconds(10)) {
    std::optional<FixedRunCaller> acting;
    if (caller != nullptr) acting.emplace(*caller);
    ToolInvocation invocation;
    invocation.caller = acting.has_value() ? &*acting : nullptr;
    invocation.run_id = "run-1";
    invocation.tool_call_id = "call-1";
    invocation.arguments_json = arguments_json;
    invocation.deadline = absl::Now() + timeout;
    invocation.cancelled = [this] { return cancelled_.load(); };
    return tool.Invoke(invocation);
  }

  std::unique_ptr<ServiceIdentity> identity_;
  std::unique_ptr<FakeMemories> data_;
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  Caller alice_;
  Caller bob_;
  std::atomic<bool> cancelled_{false};
};

TEST_F(MemoryToolsTest, WritesAndSearchesAsTheRunOwner) {
  MemoryWriteTool write(channel_);
  MemorySearchTool search(channel_, /*max_result_bytes=*/64 * 1024);
  absl::StatusOr<ToolOutcome> written = Call(
      write, &alice_, R"({"text": "Alice likes green tea", "topics": ["food"]})");
  ASSERT_THAT(written, IsOk());
  EXPECT_FALSE(written->is_error) << written->content;
  EXPECT_EQ(written->content, R"({"memory_id":"m-1"})");
  ASSERT_THAT(Call(write, &bob_, R"({"text": "Bob likes tea too"})"), IsOk());

  absl::StatusOr<ToolOutcome> found =
      Call(search, &alice_, R"({"query": "TEA", "limit": 5})");
  ASSERT_THAT(found, IsOk());
  ASSERT_FALSE(found->is_error) << found->content;
  const nlohmann::json result = nlohmann::json::parse(found->content);
  ASSERT_EQ(result["memories"].size(), 1u) << found->content;
  EXPECT_EQ(result["memories"][0]["text"], "Alice likes green tea");
  EXPECT_EQ(result["memories"][0]["topics"], nlohmann::json({"food"}));
  EXPECT_EQ(result["memories"][0]["created_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(result["truncated"], false);
  EXPECT_EQ(data_->LastList().page().limit(), 5);
  EXPECT_EQ(data_->LastList().text_query(), "TEA");
  EXPECT_EQ(data_->LastList().sort_order(), data::v1::SORT_ORDER_DESC);
  EXPECT_TRUE(data_->LastList().user_id().empty());

  // Every call carried the owner's own assertion and this service's
  // identity, never the service alone.
  EXPECT_EQ(data_->AssertionsSeen(),
            std::vector<std::string>(
                {kAliceAssertion, kBobAssertion, kAliceAssertion}));
  EXPECT_EQ(data_->ServicesSeen(),
            std::vector<std::string>(3, "service:run_executor"));
}

TEST_F(MemoryToolsTest, SearchFiltersByTopicWithADefaultLimit) {
  MemoryWriteTool write(channel_);
  MemorySearchTool search(channel_, /*max_result_bytes=*/64 * 1024);
  ASSERT_THAT(Call(write, &alice_, R"({"text": "a", "topics": ["x"]})"), IsOk());
  ASSERT_THAT(Call(write, &alice_, R"({"text": "b", "topics": ["y"]})"), IsOk());
  absl::StatusOr<ToolOutcome> found = Call(search, &alice_, R"({"topic": "y"})");
  ASSERT_THAT(found, IsOk());
  const nlohmann::json result = nlohmann::json::parse(found->content);
  ASSERT_EQ(result["memories"].size(), 1u);
  EXPECT_EQ(result["memories"][0]["text"], "b");
  EXPECT_EQ(data_->LastList().page().limit(), 10);
}

TEST_F(MemoryToolsTest, WithoutTheOwnersAssertionNothingIsSent) {
  MemoryWriteTool write(channel_);
  MemorySearchTool search(channel_, /*max_result_bytes=*/64 * 1024);
  Caller no_assertion;
  no_assertion.principal.set_subject("alice");
  EXPECT_THAT(Call(write, &no_assertion, R"({"text": "x"})"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Call(search, &no_assertion, "{}"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Call(search, /*caller=*/nullptr, "{}"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(data_->calls.load(), 0);
}

TEST_F(MemoryToolsTest, AChannelWithoutServiceIdentityIsRefusedByData) {
  // What the tools would get over a plain channel: the service assertion
  // ChannelFactory's channel adds is what data checks.
  MemorySearchTool search(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                          grpc::InsecureChannelCredentials()),
      /*max_result_bytes=*/64 * 1024);
  absl::StatusOr<ToolOutcome> found = Call(search, &alice_, "{}");
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->is_error);
  EXPECT_EQ(found->content, "the run's owner may not read memories");
  EXPECT_TRUE(data_->AssertionsSeen().empty());
}

TEST_F(MemoryToolsTest, DataRefusalsAreErrorResults) {
  MemoryWriteTool write(channel_);
  absl::StatusOr<ToolOutcome> outcome = Call(write, &alice_, R"({"text": ""})");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->is_error);
  EXPECT_EQ(outcome->content,
            "data refused the request: text must be 1 to 16384 characters");

  data_->fail_with = static_cast<int>(grpc::StatusCode::PERMISSION_DENIED);
  outcome = Call(write, &alice_, R"({"text": "x"})");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->is_error);
  EXPECT_EQ(outcome->content, "the run's owner may not write memories");

  data_->fail_with = static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED);
  outcome = Call(write, &alice_, R"({"text": "x"})");
  ASSERT_THAT(outcome, IsOk());
  EXPECT_TRUE(outcome->is_error);

  data_->fail_with = static_cast<int>(grpc::StatusCode::INTERNAL);
  EXPECT_THAT(Call(write, &alice_, R"({"text": "x"})"),
              StatusIs(absl::StatusCode::kUnavailable));

  Caller stranger;
  stranger.assertion = "assertion-nobody-signed";
  EXPECT_THAT(Call(write, &stranger, R"({"text": "x"})"),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(MemoryToolsTest, DataDownIsUnavailable) {
  MemorySearchTool search(channel_, /*max_result_bytes=*/64 * 1024);
  server_.reset();
  EXPECT_THAT(Call(search, &alice_, "{}"),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(MemoryToolsTest, HungDataMeetsTheDeadlineOrTheRunsCancellation) {
  MemorySearchTool search(channel_, /*max_result_bytes=*/64 * 1024);
  data_->hang = true;
  absl::Time start = absl::Now();
  EXPECT_THAT(Call(search, &alice_, "{}", absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  cancelled_ = true;
  start = absl::Now();
  EXPECT_THAT(Call(search, &alice_, "{}", absl::Seconds(60)),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  data_->hang = false;
}

TEST_F(MemoryToolsTest, SearchLeavesOutMemoriesBeyondTheResultLimit) {
  MemoryWriteTool write(channel_);
  const std::string text(300, 'z');
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Call(write, &alice_, R"({"text": ")" + text + R"("})"), IsOk());
  }
  MemorySearchTool search(channel_, /*max_result_bytes=*/1000);
  absl::StatusOr<ToolOutcome> found = Call(search, &alice_, "{}");
  ASSERT_THAT(found, IsOk());
  EXPECT_LE(found->content.size(), 1000u);
  const nlohmann::json result = nlohmann::json::parse(found->content);
  EXPECT_EQ(result["memories"].size(), 2u);
  EXPECT_EQ(result["truncated"], true);
}

TEST_F(MemoryToolsTest, BadArgumentsAreErrorResultsWithoutACall) {
  MemoryWriteTool write(channel_);
  MemorySearchTool search(channel_, /*max_result_bytes=*/64 * 1024);
  for (const char* arguments : {"{}", R"({"text": 5})", R"({"text": "x",
        "topics": "y"})", R"({"text": "x", "topics": [1]})", "[]"}) {
    absl::StatusOr<ToolOutcome> outcome = Call(write, &alice_, arguments);
    ASSERT_THAT(outcome, IsOk());
    EXPECT_TRUE(outcome->is_error) << arguments;
  }
  for (const char* arguments : {R"({"limit": 0})", R"({"limit": 51})",
                                R"({"limit": "5"})", R"({"query": 1})"}) {
    absl::StatusOr<ToolOutcome> outcome = Call(search, &alice_, arguments);
    ASSERT_THAT(outcome, IsOk());
    EXPECT_TRUE(outcome->is_error) << arguments;
  }
  EXPECT_EQ(data_->calls.load(), 0);
}

}  // namespace
}  // namespace bastion::runs
