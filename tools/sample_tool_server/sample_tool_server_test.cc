// Tests the sample tool server in process on a real port: only a trusted
// service acting for a verified user reaches a tool, each result names
// that user, and the counter shows exactly which calls got through.
#include <atomic>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/assertion/key_set.h"
#include "common/assertion/local_authenticator.h"
#include "common/assertion/signer.h"
#include "common/assertion/verifier.h"
#include "common/auth/channel_factory.h"
#include "common/auth/service_identity.h"
#include "common/auth/trusted_services.h"
#include "common/server/server.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/sample_tool_server/sample_tool_service.h"

namespace bastion::sample {
namespace {

using ::bastion::testing::IsOk;
using ::testing::HasSubstr;

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::unique_ptr<ServiceIdentity> Identity(const std::string& name) {
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> identity =
      ServiceIdentity::LoadOrGenerate(TempDir() + "/" + name + ".pem", name);
  EXPECT_THAT(identity, IsOk());
  return *std::move(identity);
}

std::shared_ptr<const assertion::KeySet> Keys(
    const std::vector<common::v1::AssertionKey>& keys) {
  absl::StatusOr<std::shared_ptr<const assertion::KeySet>> set =
      assertion::KeySet::Create(keys);
  EXPECT_THAT(set, IsOk());
  return *set;
}

class SampleToolServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runs_ = Identity("run_executor");
    scheduler_ = Identity("scheduler");
    stranger_ = Identity("stranger");
    absl::StatusOr<assertion::AssertionSigner> authn =
        assertion::AssertionSigner::Generate();
    ASSERT_THAT(authn, IsOk());
    authn_ = std::make_unique<assertion::AssertionSigner>(*std::move(authn));
    absl::StatusOr<assertion::AssertionSigner> forger =
        assertion::AssertionSigner::Generate();
    ASSERT_THAT(forger, IsOk());
    forger_ = std::make_unique<assertion::AssertionSigner>(*std::move(forger));

    common::v1::TrustedServices trusted;
    *trusted.add_services() = TrustedServiceOf(
        *runs_,
        {std::string(runs::v1::ToolService::service_full_name()) + "/ListTools",
         std::string(runs::v1::ToolService::service_full_name()) + "/Invoke"});
    *trusted.add_services() = TrustedServiceOf(
        *scheduler_,
        {std::string(runs::v1::ToolService::service_full_name()) + "/Invoke"});
    absl::StatusOr<std::unique_ptr<TrustedServices>> services =
        TrustedServices::Create(trusted);
    ASSERT_THAT(services, IsOk());
    services_ = *std::move(services);
    users_ = std::make_unique<assertion::LocalAssertionAuthenticator>(
        std::make_shared<const assertion::AssertionVerifier>(
            std::make_shared<assertion::StaticKeyProvider>(
                Keys({authn_->PublicKey()})),
            SystemClock::Get(), kDefaultAudience));
    GuardDependencies dependencies;
    dependencies.services = services_.get();
    absl::StatusOr<CallGuard> guard = CallGuard::Create(
        runs::v1::ToolService::service_full_name(), dependencies);
    ASSERT_THAT(guard, IsOk());
    tools_ = std::make_unique<SampleTools>(
        [this](const std::map<std::string, int64_t>& counts) {
          reported_total_ = 0;
          for (const auto& [tool, count] : counts) reported_total_ += count;
        });
    service_ = std::make_unique<SampleToolService>(*std::move(guard),
                                                   users_.get(), tools_.get());
    absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
        ServerOptions{},
        {{service_.get(), runs::v1::ToolService::service_full_name()}});
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    address_ = absl::StrCat("127.0.0.1:", server_->port());
  }

  std::string UserAssertion(const assertion::AssertionSigner& signer,
                            const std::string& subject,
                            common::v1::CredentialKind kind =
                                common::v1::CREDENTIAL_KIND_JWT) {
    common::v1::Principal principal;
    principal.set_tenant_id("acme");
    principal.set_subject(subject);
    principal.set_credential_kind(kind);
    const absl::Time now =
        absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    absl::StatusOr<std::string> signed_assertion =
        signer.Sign(principal, {kDefaultAudience}, now, now + absl::Minutes(1));
    EXPECT_THAT(signed_assertion, IsOk());
    return signed_assertion.value_or("");
  }

  // A run's delegation for `subject`, held by `holder_service`.
  std::string Delegation(const std::string& subject,
                         const std::string& holder_service) {
    common::v1::Principal principal;
    principal.set_tenant_id("acme");
    principal.set_subject(subject);
    principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
    common::v1::DelegationClaims delegation;
    delegation.set_delegation_id("dlg_0123456789abcdef0123456789abcdef");
    delegation.set_run_id("run-1");
    delegation.set_holder_service(holder_service);
    const absl::Time now =
        absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    absl::StatusOr<std::string> signed_assertion = authn_->SignDelegation(
        principal, delegation, {kDefaultAudience}, now, now + absl::Minutes(1));
    EXPECT_THAT(signed_assertion, IsOk());
    return signed_assertion.value_or("");
  }

  // Invokes `tool` over a channel carrying `service`'s identity (none when
  // null) and `user_assertion` (none when empty).
  grpc::Status Invoke(const std::string& tool, const std::string& arguments,
                      ServiceIdentity* service,
                      const std::string& user_assertion,
                      runs::v1::InvokeToolResponse* response,
                      absl::Duration timeout = absl::Seconds(10)) {
    std::shared_ptr<grpc::Channel> channel =
        service != nullptr
            ? ChannelFactory(nullptr, service).Channel(address_)
            : grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
    auto stub = runs::v1::ToolService::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    if (!user_assertion.empty()) {
      context.AddMetadata(kPrincipalMetadataKey, user_assertion);
    }
    runs::v1::InvokeToolRequest request;
    request.set_tool_name(tool);
    request.set_arguments_json(arguments);
    request.set_run_id("run-1");
    request.set_tool_call_id("call-1");
    return stub->Invoke(&context, request, response);
  }

  int64_t Total() {
    int64_t total = 0;
    for (const auto& [tool, count] : tools_->Counts()) total += count;
    return total;
  }

  std::unique_ptr<ServiceIdentity> runs_;
  std::unique_ptr<ServiceIdentity> scheduler_;  // trusted, holds no delegation
  std::unique_ptr<ServiceIdentity> stranger_;
  std::unique_ptr<assertion::AssertionSigner> authn_;
  std::unique_ptr<assertion::AssertionSigner> forger_;
  std::unique_ptr<TrustedServices> services_;
  std::unique_ptr<AssertionAuthenticator> users_;
  std::unique_ptr<SampleTools> tools_;
  std::unique_ptr<SampleToolService> service_;
  std::unique_ptr<RunningServer> server_;
  std::string address_;
  std::atomic<int64_t> reported_total_{0};
};

TEST_F(SampleToolServerTest, ActsForTheVerifiedUserAndCountsTheCall) {
  runs::v1::InvokeToolResponse response;
  grpc::Status status =
      Invoke("lookup_order", R"({"order_id": "A-1001"})", runs_.get(),
             UserAssertion(*authn_, "alice"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.result().is_error());
  EXPECT_EQ(response.result().tool_call_id(), "call-1");
  const nlohmann::json result = nlohmann::json::parse(response.result().content());
  EXPECT_EQ(result["status"], "shipped");
  EXPECT_EQ(result["acted_for"]["subject"], "alice");
  EXPECT_EQ(result["acted_for"]["tenant_id"], "acme");

  status = Invoke("restart_service", R"({"name": "billing"})", runs_.get(),
                  UserAssertion(*authn_, "bob"), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(nlohmann::json::parse(response.result().content())["acted_for"]
                                                              ["subject"],
            "bob");

  status = Invoke("call_count", "{}", runs_.get(),
                  UserAssertion(*authn_, "alice"), &response);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(nlohmann::json::parse(response.result().content())["counts"],
            nlohmann::json({{"lookup_order", 1}, {"restart_service", 1}}));
  EXPECT_EQ(reported_total_.load(), 2);
}

TEST_F(SampleToolServerTest, RefusedCallsNeverReachATool) {
  runs::v1::InvokeToolResponse response;
  const std::string alice = UserAssertion(*authn_, "alice");
  // No user assertion.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", runs_.get(), "",
                   &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A user assertion authn did not sign.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", runs_.get(),
                   UserAssertion(*forger_, "alice"), &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Garbage in its place.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", runs_.get(),
                   "not-an-assertion", &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A service principal where a user belongs.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", runs_.get(),
                   UserAssertion(*authn_, "service:x",
                                 common::v1::CREDENTIAL_KIND_SERVICE),
                   &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A user calling directly, without a service.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", nullptr, alice,
                   &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A service nobody trusts.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", stranger_.get(),
                   alice, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Total(), 0);
  EXPECT_EQ(reported_total_.load(), 0);
}

TEST_F(SampleToolServerTest, ActsForARunsDelegationPresentedByItsHolder) {
  runs::v1::InvokeToolResponse response;
  const std::string delegation = Delegation("alice", "service:run_executor");
  grpc::Status status = Invoke("lookup_order", R"({"order_id": "A-1002"})",
                               runs_.get(), delegation, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.result().is_error());
  EXPECT_EQ(nlohmann::json::parse(response.result().content())["acted_for"],
            nlohmann::json({{"tenant_id", "acme"}, {"subject", "alice"}}));
  // The same delegation in another trusted service's hands is worth nothing,
  // as is one whose holder is not the caller.
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", scheduler_.get(),
                   delegation, &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Invoke("restart_service", R"({"name": "db"})", runs_.get(),
                   Delegation("alice", "service:scheduler"), &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Total(), 1);
  EXPECT_EQ(reported_total_.load(), 1);
}

TEST_F(SampleToolServerTest, BadArgumentsAreErrorResultsUnknownToolsNotFound) {
  const std::string alice = UserAssertion(*authn_, "alice");
  runs::v1::InvokeToolResponse response;
  for (const auto& [tool, arguments] :
       std::vector<std::pair<std::string, std::string>>{
           {"lookup_order", R"({"order_id": "Z-9"})"},
           {"lookup_order", R"({"order_id": 5})"},
           {"lookup_order", "not json"},
           {"restart_service", R"({"name": "../etc"})"},
           {"sleep", R"({"ms": -1})"},
           {"big_result", R"({"bytes": 99999999})"}}) {
    ASSERT_TRUE(Invoke(tool, arguments, runs_.get(), alice, &response).ok());
    EXPECT_TRUE(response.result().is_error()) << tool << " " << arguments;
  }
  EXPECT_EQ(Invoke("rm_rf", "{}", runs_.get(), alice, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Total(), 6);
}

TEST_F(SampleToolServerTest, SleepStopsWhenTheCallerGivesUp) {
  runs::v1::InvokeToolResponse response;
  const absl::Time start = absl::Now();
  EXPECT_EQ(Invoke("sleep", R"({"ms": 60000})", runs_.get(),
                   UserAssertion(*authn_, "alice"), &response,
                   absl::Milliseconds(200))
                .error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_TRUE(Invoke("big_result", R"({"bytes": 3})", runs_.get(),
                     UserAssertion(*authn_, "alice"), &response)
                  .ok());
  EXPECT_EQ(response.result().content(), "xxx");
}

TEST_F(SampleToolServerTest, ListsItsTools) {
  auto stub = runs::v1::ToolService::NewStub(
      ChannelFactory(nullptr, runs_.get()).Channel(address_));
  grpc::ClientContext context;
  runs::v1::ListToolsResponse tools;
  ASSERT_TRUE(stub->ListTools(&context, {}, &tools).ok());
  std::vector<std::string> names;
  for (const runs::v1::ToolSpec& spec : tools.tools()) names.push_back(spec.name());
  EXPECT_THAT(names, ::testing::ElementsAre("lookup_order", "restart_service",
                                            "sleep", "big_result",
                                            "call_count"));
  grpc::ClientContext plain_context;
  auto plain = runs::v1::ToolService::NewStub(
      grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(plain->ListTools(&plain_context, {}, &tools).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace bastion::sample
