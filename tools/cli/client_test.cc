// Where each service is found (flags, environment, defaults), and what a
// call carries: the bearer credential and a deadline; a service that cannot
// be reached is named with its address.
#include "tools/cli/client.h"

#include <memory>
#include <string>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

using ::testing::HasSubstr;

ParsedArgs Global(std::vector<std::pair<std::string, std::string>> values) {
  ParsedArgs global;
  for (auto& [name, value] : values) global.AddValue(name, value);
  return global;
}

TEST(ResolveEndpointsTest, DefaultsToUpShsLayout) {
  absl::StatusOr<Endpoints> endpoints = ResolveEndpoints(Global({}), {});
  ASSERT_TRUE(endpoints.ok()) << endpoints.status();
  EXPECT_EQ(endpoints->authn, "127.0.0.1:7001");
  EXPECT_EQ(endpoints->data, "127.0.0.1:7003");
  EXPECT_EQ(endpoints->runs, "127.0.0.1:7004");
  endpoints = ResolveEndpoints(Global({}), {{"BASTION_PORT_BASE", "9000"}});
  EXPECT_EQ(endpoints->authn, "127.0.0.1:9001");
  EXPECT_EQ(endpoints->runs, "127.0.0.1:9004");
}

TEST(ResolveEndpointsTest, OwnFlagThenSharedFlagThenOwnEnvThenSharedEnv) {
  const std::map<std::string, std::string> env = {
      {"BASTION_ADDR", "env-all:1"}, {"BASTION_DATA_ADDR", "env-data:3"}};
  absl::StatusOr<Endpoints> from_env = ResolveEndpoints(Global({}), env);
  EXPECT_EQ(from_env->authn, "env-all:1");
  EXPECT_EQ(from_env->data, "env-data:3");
  absl::StatusOr<Endpoints> flags = ResolveEndpoints(
      Global({{"addr", "flag-all:9"}, {"runs-addr", "flag-runs:4"}}), env);
  EXPECT_EQ(flags->authn, "flag-all:9");
  EXPECT_EQ(flags->data, "flag-all:9");  // a flag beats the environment
  EXPECT_EQ(flags->runs, "flag-runs:4");
}

TEST(ResolveEndpointsTest, BadAddressesAndPortBasesAreUsageErrors) {
  EXPECT_TRUE(
      IsUsageError(ResolveEndpoints(Global({{"addr", ""}}), {}).status()));
  EXPECT_TRUE(IsUsageError(
      ResolveEndpoints(Global({{"data-addr", "a b:1"}}), {}).status()));
  EXPECT_TRUE(IsUsageError(
      ResolveEndpoints(Global({{"addr", std::string(300, 'a')}}), {})
          .status()));
  for (const char* base : {"x", "0", "70000", "-5"}) {
    EXPECT_TRUE(IsUsageError(
        ResolveEndpoints(Global({}), {{"BASTION_PORT_BASE", base}}).status()))
        << base;
  }
}

// An Agents service that records what the client sent.
class RecordingAgents final : public bastion::runs::v1::Agents::Service {
 public:
  grpc::Status ListAgents(
      grpc::ServerContext* context, const bastion::runs::v1::ListAgentsRequest*,
      bastion::runs::v1::ListAgentsResponse* response) override {
    auto range = context->client_metadata().equal_range("authorization");
    for (auto it = range.first; it != range.second; ++it) {
      authorization.emplace_back(it->second.data(), it->second.size());
    }
    deadline_left = context->deadline() - std::chrono::system_clock::now();
    response->add_agents()->set_agent_id("echo");
    return grpc::Status::OK;
  }
  grpc::Status GetAgent(grpc::ServerContext*,
                        const bastion::runs::v1::GetAgentRequest*,
                        bastion::runs::v1::Agent*) override {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such agent");
  }

  std::vector<std::string> authorization;
  std::chrono::system_clock::duration deadline_left{};
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&agents_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  Endpoints Here() const {
    const std::string address = "127.0.0.1:" + std::to_string(port_);
    return Endpoints{address, address, address};
  }

  RecordingAgents agents_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(ClientTest, SendsTheCredentialAsABearerTokenWithADeadline) {
  Client client(Here(), tls::TlsFiles{}, absl::Seconds(7), "bst_secret");
  bastion::runs::v1::ListAgentsResponse response;
  ASSERT_TRUE(client
                  .Call(Service::kRuns,
                        &bastion::runs::v1::Agents::Stub::ListAgents,
                        bastion::runs::v1::ListAgentsRequest(), &response)
                  .ok());
  EXPECT_EQ(response.agents(0).agent_id(), "echo");
  EXPECT_EQ(agents_.authorization,
            std::vector<std::string>{"Bearer bst_secret"});
  EXPECT_GT(agents_.deadline_left, std::chrono::seconds(5));
  EXPECT_LE(agents_.deadline_left, std::chrono::seconds(7));
}

TEST_F(ClientTest, WithoutACredentialSendsNoAuthorization) {
  Client client(Here(), tls::TlsFiles{}, absl::Seconds(7), "");
  bastion::runs::v1::ListAgentsResponse response;
  ASSERT_TRUE(client
                  .Call(Service::kRuns,
                        &bastion::runs::v1::Agents::Stub::ListAgents,
                        bastion::runs::v1::ListAgentsRequest(), &response)
                  .ok());
  EXPECT_TRUE(agents_.authorization.empty());
}

TEST_F(ClientTest, TheServersCodeAndMessageComeBackAsTheyWere) {
  Client client(Here(), tls::TlsFiles{}, absl::Seconds(7), "t.o.k");
  bastion::runs::v1::Agent agent;
  bastion::runs::v1::GetAgentRequest request;
  request.set_agent_id("nope");
  const absl::Status status =
      client.Call(Service::kRuns, &bastion::runs::v1::Agents::Stub::GetAgent,
                  request, &agent);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such agent");
}

TEST_F(ClientTest, AnUnreachableServiceIsNamedWithItsAddress) {
  const std::string address = "127.0.0.1:" + std::to_string(port_);
  server_->Shutdown();
  Client client(Here(), tls::TlsFiles{}, absl::Seconds(5), "t.o.k");
  bastion::runs::v1::ListAgentsResponse response;
  const absl::Status status =
      client.Call(Service::kData, &bastion::runs::v1::Agents::Stub::ListAgents,
                  bastion::runs::v1::ListAgentsRequest(), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("cannot reach data at " + address));
}

TEST(ClientTlsTest, AMissingCaFileIsRefusedBeforeAnyCall) {
  tls::TlsFiles files;
  files.ca_file = "/nonexistent/ca.pem";
  Client client(Endpoints{"a:1", "a:1", "a:1"}, files, absl::Seconds(1),
                "t.o.k");
  bastion::runs::v1::ListAgentsResponse response;
  const absl::Status status =
      client.Call(Service::kRuns, &bastion::runs::v1::Agents::Stub::ListAgents,
                  bastion::runs::v1::ListAgentsRequest(), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace bastion::cli
