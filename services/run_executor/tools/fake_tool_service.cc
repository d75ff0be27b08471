#include "services/run_executor/tools/fake_tool_service.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/trusted_services.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {

grpc::Status FakeToolService::ListTools(grpc::ServerContext*,
                                        const v1::ListToolsRequest*,
                                        v1::ListToolsResponse* response) {
  for (const char* name :
       {"echo", "fail", "hang", "big", "wrong_call_id", "refuse"}) {
    response->add_tools()->set_name(name);
  }
  return grpc::Status::OK;
}

grpc::Status FakeToolService::Invoke(grpc::ServerContext* context,
                                     const v1::InvokeToolRequest* request,
                                     v1::InvokeToolResponse* response) {
  const auto& metadata = context->client_metadata();
  if (metadata.count(kServiceMetadataKey) != 1) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no service");
  }
  const grpc::string_ref service = metadata.find(kServiceMetadataKey)->second;
  absl::StatusOr<common::v1::Principal> verified =
      services_->Verify(absl::string_view(service.data(), service.size()));
  if (!verified.ok()) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "bad service");
  }
  std::string assertion;
  if (auto user = metadata.find(kPrincipalMetadataKey); user != metadata.end()) {
    assertion.assign(user->second.data(), user->second.size());
  }
  ++invocations;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    assertions_seen_.push_back(assertion);
    services_seen_.push_back(verified->subject());
    requests_.push_back(*request);
  }
  v1::ToolResult* result = response->mutable_result();
  result->set_tool_call_id(request->tool_call_id());
  const std::string& tool = request->tool_name();
  if (tool == "echo") {
    result->set_content(nlohmann::json({{"arguments", request->arguments_json()},
                                        {"for", assertion}})
                            .dump());
  } else if (tool == "fail") {
    result->set_content("the order does not exist");
    result->set_is_error(true);
  } else if (tool == "hang") {
    ++hanging;
    while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
    --hanging;
    return grpc::Status(grpc::StatusCode::CANCELLED, "gave up");
  } else if (tool == "big") {
    result->set_content(std::string(big_result_bytes.load(), 'x'));
  } else if (tool == "wrong_call_id") {
    result->set_tool_call_id("someone-elses-call");
    result->set_content("stolen");
  } else if (tool == "refuse") {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "internal detail: /srv/secret/path");
  } else {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such tool");
  }
  return grpc::Status::OK;
}

std::vector<std::string> FakeToolService::AssertionsSeen() {
  std::lock_guard<std::mutex> lock(mutex_);
  return assertions_seen_;
}

std::vector<std::string> FakeToolService::ServicesSeen() {
  std::lock_guard<std::mutex> lock(mutex_);
  return services_seen_;
}

std::vector<v1::InvokeToolRequest> FakeToolService::Requests() {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

std::unique_ptr<FakeToolServer> FakeToolServer::Start() {
  auto fake = std::make_unique<FakeToolServer>();
  const char* dir = std::getenv("TEST_TMPDIR");
  absl::StatusOr<std::unique_ptr<ServiceIdentity>> identity =
      ServiceIdentity::LoadOrGenerate(
          absl::StrCat(dir != nullptr ? dir : "/tmp", "/run_executor.pem"),
          "run_executor");
  if (!identity.ok()) return nullptr;
  fake->identity = *std::move(identity);
  common::v1::TrustedServices trusted;
  *trusted.add_services() = TrustedServiceOf(
      *fake->identity,
      {std::string(v1::ToolService::service_full_name()) + "/ListTools",
           std::string(v1::ToolService::service_full_name()) + "/Invoke"});
  absl::StatusOr<std::unique_ptr<TrustedServices>> services =
      TrustedServices::Create(trusted);
  if (!services.ok()) return nullptr;
  fake->service = std::make_unique<FakeToolService>(*std::move(services));
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(
      ServerOptions{},
      {{fake->service.get(), v1::ToolService::service_full_name()}});
  if (!server.ok()) return nullptr;
  fake->server = *std::move(server);
  return fake;
}

std::string FakeToolServer::address() const {
  return absl::StrCat("127.0.0.1:", server->port());
}

}  // namespace bastion::runs
