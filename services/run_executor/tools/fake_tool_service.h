// A ToolService for tests of the tools layer (testonly): it checks the
// calling service's assertion like an internal method, records the
// forwarded user assertion, and has tools that answer, fail, hang or
// answer too much.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_FAKE_TOOL_SERVICE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_FAKE_TOOL_SERVICE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "common/auth/caller.h"
#include "common/auth/service_identity.h"
#include "common/server/server.h"

namespace bastion::runs {

// Tools, by InvokeToolRequest.tool_name:
//   echo           {"arguments": <arguments_json>, "for": <forwarded assertion>}
//   fail           an error result ("the order does not exist")
//   hang           answers only once the call is cancelled (deadline, cancel)
//   big            a result of `big_result_bytes` bytes
//   wrong_call_id  a result naming another tool_call_id
//   refuse         the status INVALID_ARGUMENT with a chatty message
// Thread-safe.
class FakeToolService final : public v1::ToolService::Service {
 public:
  explicit FakeToolService(std::unique_ptr<ServiceAuthenticator> services)
      : services_(std::move(services)) {}

  grpc::Status ListTools(grpc::ServerContext* context,
                         const v1::ListToolsRequest* request,
                         v1::ListToolsResponse* response) override;
  grpc::Status Invoke(grpc::ServerContext* context,
                      const v1::InvokeToolRequest* request,
                      v1::InvokeToolResponse* response) override;

  // Calls that passed the service check.
  std::atomic<int> invocations{0};
  // Calls currently inside "hang".
  std::atomic<int> hanging{0};
  std::atomic<size_t> big_result_bytes{1024};

  std::vector<std::string> AssertionsSeen();
  std::vector<std::string> ServicesSeen();
  std::vector<v1::InvokeToolRequest> Requests();

 private:
  const std::unique_ptr<ServiceAuthenticator> services_;
  // std::mutex so that ThreadSanitizer sees the locking.
  std::mutex mutex_;
  // Guarded by mutex_.
  std::vector<std::string> assertions_seen_;
  std::vector<std::string> services_seen_;
  std::vector<v1::InvokeToolRequest> requests_;
};

// A FakeToolService on a real port of 127.0.0.1, trusting the service
// identity it makes (named run_executor, key under TEST_TMPDIR).
struct FakeToolServer {
  static std::unique_ptr<FakeToolServer> Start();

  std::string address() const;

  std::unique_ptr<ServiceIdentity> identity;
  std::unique_ptr<FakeToolService> service;
  std::unique_ptr<RunningServer> server;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_FAKE_TOOL_SERVICE_H_
