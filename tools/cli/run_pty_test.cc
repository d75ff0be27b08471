// The built bastion binary following a run on a pseudo-terminal, against an
// in-process fake of run-executor's Runs: the spinner turns while the run
// is quiet, the output is coloured, the pause is asked as a question, the
// typed answer continues the run, and the command exits 0 when it
// completes.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bastion/runs/v1/runs.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::cli {
namespace {

using ::testing::HasSubstr;

namespace runs = bastion::runs::v1;

runs::RunEvent Event(const std::string& text) {
  runs::RunEvent event;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &event));
  return event;
}

// RunAgent starts, then holds its first model call until the test has seen
// the spinner, then pauses on one confirmable call; ContinueRun completes
// when that call was confirmed.
class PausingRuns final : public runs::Runs::Service {
 public:
  grpc::Status RunAgent(grpc::ServerContext* context,
                        const runs::RunAgentRequest*,
                        grpc::ServerWriter<runs::RunEvent>* writer) override {
    writer->Write(Event(R"pb(run_id: "r1" seq: 1
                             started { component_type: COMPONENT_TYPE_AGENT component_id: "ops" session_id: "s1" })pb"));
    {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!released_.wait_for(lock, std::chrono::seconds(30),
                              [this] { return release_; })) {
        return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "not released");
      }
    }
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    writer->Write(Event(R"pb(run_id: "r1" seq: 2 model_output { text: "Tidying.\n" })pb"));
    writer->Write(Event(R"pb(run_id: "r1" seq: 3
                             paused { requirements { tool_call_id: "c1" tool_name: "delete_file" arguments_json: "{\"path\":\"/tmp/x\"}" requires_confirmation: true } })pb"));
    return grpc::Status::OK;
  }
  grpc::Status ContinueRun(grpc::ServerContext*,
                           const runs::ContinueRunRequest* request,
                           grpc::ServerWriter<runs::RunEvent>* writer) override {
    if (request->decisions_size() != 1 || !request->decisions(0).confirmed())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not confirmed");
    writer->Write(Event(R"pb(run_id: "r1" seq: 4 tool_result { tool_call_id: "c1" content: "deleted" })pb"));
    writer->Write(Event(R"pb(run_id: "r1" seq: 5 completed { output: "done" })pb"));
    return grpc::Status::OK;
  }

  void Release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
};

std::string BastionPath() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/bastion/tools/cli/bastion";
}

TEST(RunPtyTest, AnInteractiveRunShowsASpinnerAsksAtThePauseAndCompletes) {
  PausingRuns service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  const std::string binary = BastionPath();
  const std::string runs_addr = "127.0.0.1:" + std::to_string(port);
  int master = -1;
  const pid_t child = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(child, 0);
  if (child == 0) {
    const char* argv[] = {binary.c_str(), "--runs-addr", runs_addr.c_str(),
                          "run",          "agent",       "ops",
                          "tidy up",      nullptr};
    const char* envp[] = {"TERM=xterm", "BASTION_TOKEN=good.token.sig",
                          nullptr};
    execve(binary.c_str(), const_cast<char**>(argv),
           const_cast<char**>(envp));
    _exit(127);
  }

  std::string shown;
  bool released = false;
  bool answered = false;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready{master, POLLIN, 0};
    if (poll(&ready, 1, 100) > 0) {
      char buffer[4096];
      const ssize_t got = read(master, buffer, sizeof(buffer));
      if (got <= 0) break;  // EIO once the child has exited
      shown.append(buffer, static_cast<size_t>(got));
    }
    if (!released && shown.find("⠋") != std::string::npos) {
      service.Release();
      released = true;
    }
    if (!answered && shown.find("[y/n]") != std::string::npos) {
      ASSERT_EQ(write(master, "y\n", 2), 2);
      answered = true;
    }
  }
  close(master);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  server->Shutdown();

  ASSERT_TRUE(WIFEXITED(status)) << shown;
  EXPECT_EQ(WEXITSTATUS(status), 0) << shown;
  EXPECT_TRUE(released) << shown;
  EXPECT_TRUE(answered) << shown;
  EXPECT_THAT(shown, HasSubstr("\r\x1b[2K"));  // the spinner line, erased
  EXPECT_THAT(shown, HasSubstr("Tidying."));
  EXPECT_THAT(shown, HasSubstr("is paused"));
  EXPECT_THAT(shown, HasSubstr("delete_file"));
  EXPECT_THAT(shown, HasSubstr("\x1b[32m✓ Completed"));  // coloured
}

}  // namespace
}  // namespace bastion::cli
