// Runs the sample_tool_server binary and calls it through run-executor's
// Toolbox as the run engine does: the tool acts for the run's owner, only
// calls that pass the schema and both identity checks reach it (its count
// file says so), and its silences and floods come back as error results.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bastion/authn/v1/authn.pb.h"
#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/assertion/signer.h"
#include "common/auth/service_identity.h"
#include "common/auth/trusted_services.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/tools/toolbox.h"

extern char** environ;

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::testing::HasSubstr;

constexpr char kBinary[] = "tools/sample_tool_server/sample_tool_server";

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

void WriteKeys(const std::string& path,
               const std::vector<common::v1::AssertionKey>& keys) {
  authn::v1::GetAssertionKeysResponse response;
  for (const common::v1::AssertionKey& key : keys) *response.add_keys() = key;
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(response, &json).ok());
  std::ofstream(path) << json;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SampleToolServerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = TempDir();
    port_file_ = dir + "/port";
    count_file_ = dir + "/counts.json";
    std::remove(port_file_.c_str());
    std::remove(count_file_.c_str());

    absl::StatusOr<std::unique_ptr<ServiceIdentity>> identity =
        ServiceIdentity::LoadOrGenerate(dir + "/run_executor.pem", "run_executor");
    ASSERT_THAT(identity, IsOk());
    identity_ = *std::move(identity);
    absl::StatusOr<assertion::AssertionSigner> authn =
        assertion::AssertionSigner::Generate();
    ASSERT_THAT(authn, IsOk());
    authn_ = std::make_unique<assertion::AssertionSigner>(*std::move(authn));
    // run_executor may call ToolService.Invoke (all the toolbox calls).
    common::v1::TrustedServices trusted;
    *trusted.add_services() = TrustedServiceOf(
        *identity_, {std::string(v1::ToolService::service_full_name()) +
                     "/Invoke"});
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(trusted, &json).ok());
    std::ofstream(dir + "/trusted_services.json") << json;
    WriteKeys(dir + "/authn_keys.json", {authn_->PublicKey()});

    std::vector<std::string> args = {
        kBinary,
        "--listen_address=127.0.0.1:0",
        "--port_file=" + port_file_,
        "--trusted_services_file=" + dir + "/trusted_services.json",
        "--assertion_keys_file=" + dir + "/authn_keys.json",
        "--count_file=" + count_file_};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, kBinary, nullptr, nullptr, argv.data(), environ),
              0);
    // The server writes its port once it listens.
    std::string port;
    for (int i = 0; i < 2000 && port.empty(); ++i) {
      port = ReadFile(port_file_);
      if (port.empty()) absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_FALSE(port.empty()) << "sample_tool_server did not start";
    const std::string endpoint =
        absl::StrCat("127.0.0.1:", std::stoi(port));

    v1::Agent agent;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        absl::StrCat(R"pb(
          agent_id: "ops"
          tools {
            name: "lookup_order"
            endpoint: ")pb", endpoint, R"pb("
            parameters_json_schema: '{"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]}'
          }
          tools { name: "restart_service" endpoint: ")pb", endpoint, R"pb(" }
          tools {
            name: "sleep"
            endpoint: ")pb", endpoint, R"pb("
            timeout_ms: 300
          }
          tools {
            name: "big_result"
            endpoint: ")pb", endpoint, R"pb("
            max_result_bytes: 100
          }
        )pb"),
        &agent));
    ChannelFactory channels(/*credentials=*/nullptr, identity_.get());
    ToolboxOptions options;
    options.channels = &channels;
    absl::StatusOr<std::unique_ptr<Toolbox>> toolbox =
        Toolbox::Create({{"ops", agent}}, std::move(options));
    ASSERT_THAT(toolbox, IsOk());
    toolbox_ = *std::move(toolbox);

    alice_ = CallerSignedBy(*authn_, "alice");
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }

  Caller CallerSignedBy(const assertion::AssertionSigner& signer,
                        const std::string& subject) {
    Caller caller;
    caller.principal.set_tenant_id("acme");
    caller.principal.set_subject(subject);
    caller.principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
    const absl::Time now =
        absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    caller.assertion = signer
                           .Sign(caller.principal, {kDefaultAudience}, now,
                                 now + absl::Minutes(5))
                           .value_or("");
    return caller;
  }

  ToolOutcome Call(const std::string& tool_name, const std::string& arguments,
                   const Caller& caller) {
    const Tool* tool = toolbox_->Find("ops", tool_name);
    EXPECT_NE(tool, nullptr);
    if (tool == nullptr) return ToolOutcome{};
    const FixedRunCaller run_caller(caller);
    ToolInvocation invocation;
    invocation.caller = &run_caller;
    invocation.run_id = "run-1";
    invocation.tool_call_id = "call-1";
    invocation.arguments_json = arguments;
    absl::StatusOr<ToolOutcome> outcome = tool->Invoke(invocation);
    EXPECT_THAT(outcome, IsOk());
    return outcome.value_or(ToolOutcome{});
  }

  // The server's counts, from its count file ({} before the first call).
  nlohmann::json Counts() {
    const std::string text = ReadFile(count_file_);
    if (text.empty()) return nlohmann::json::object();
    return nlohmann::json::parse(text)["counts"];
  }

  pid_t pid_ = 0;
  std::string port_file_;
  std::string count_file_;
  std::unique_ptr<ServiceIdentity> identity_;
  std::unique_ptr<assertion::AssertionSigner> authn_;
  std::unique_ptr<Toolbox> toolbox_;
  Caller alice_;
};

TEST_F(SampleToolServerIntegrationTest, TheToolActsForTheRunsOwner) {
  ToolOutcome outcome = Call("lookup_order", R"({"order_id": "A-1002"})", alice_);
  ASSERT_FALSE(outcome.is_error) << outcome.content;
  const nlohmann::json result = nlohmann::json::parse(outcome.content);
  EXPECT_EQ(result["status"], "processing");
  EXPECT_EQ(result["acted_for"]["subject"], "alice");
  EXPECT_EQ(result["acted_for"]["tenant_id"], "acme");

  outcome = Call("restart_service", R"({"name": "billing"})",
                 CallerSignedBy(*authn_, "bob"));
  ASSERT_FALSE(outcome.is_error) << outcome.content;
  EXPECT_EQ(nlohmann::json::parse(outcome.content)["acted_for"]["subject"],
            "bob");
  EXPECT_EQ(Counts(),
            nlohmann::json({{"lookup_order", 1}, {"restart_service", 1}}));
}

TEST_F(SampleToolServerIntegrationTest, RefusedCallsNeverReachTheTool) {
  // Arguments breaking the registry's schema stop in run-executor.
  ToolOutcome outcome = Call("lookup_order", R"({"order_id": 1002})", alice_);
  EXPECT_TRUE(outcome.is_error);
  EXPECT_THAT(outcome.content, HasSubstr("invalid arguments"));
  // An assertion authn never signed stops at the tool server.
  absl::StatusOr<assertion::AssertionSigner> forger =
      assertion::AssertionSigner::Generate();
  ASSERT_THAT(forger, IsOk());
  outcome = Call("restart_service", R"({"name": "billing"})",
                 CallerSignedBy(*forger, "alice"));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"restart_service\" failed: the tool server answered "
            "UNAUTHENTICATED");
  // No assertion at all: nothing is even sent.
  Caller anonymous;
  outcome = Call("restart_service", R"({"name": "billing"})", anonymous);
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(Counts(), nlohmann::json::object());
}

TEST_F(SampleToolServerIntegrationTest, SlowAndLargeAnswersAreErrorResults) {
  const absl::Time start = absl::Now();
  ToolOutcome outcome = Call("sleep", R"({"ms": 30000})", alice_);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content, "tool \"sleep\" did not finish within 300 ms");

  outcome = Call("big_result", R"({"bytes": 100})", alice_);
  EXPECT_FALSE(outcome.is_error);
  outcome = Call("big_result", R"({"bytes": 5000})", alice_);
  EXPECT_TRUE(outcome.is_error);
  EXPECT_EQ(outcome.content,
            "tool \"big_result\" returned 5000 bytes, more than its limit of 100");
  EXPECT_EQ(Counts(), nlohmann::json({{"big_result", 2}, {"sleep", 1}}));
}

}  // namespace
}  // namespace bastion::runs
