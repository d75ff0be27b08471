#include "services/run_executor/model/fake_chat_server.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace bastion::runs {

FakeChatServer::FakeChatServer() {
  server_.Post("/v1/chat/completions", [this](const httplib::Request& request,
                                              httplib::Response& response) {
    Handler handler;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(
          {request.body, request.get_header_value("Authorization")});
      handler = handler_;
    }
    if (handler) {
      handler(request, response);
    } else {
      response.status = 404;
    }
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return;  // requests then fail to connect, failing the test
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs, so wait for it (a startup
  // handshake, not waiting for time to pass).
  while (!server_.is_running()) std::this_thread::yield();
}

FakeChatServer::~FakeChatServer() {
  Open();
  if (thread_.joinable()) {
    server_.stop();
    thread_.join();
  }
}

std::string FakeChatServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/v1");
}

void FakeChatServer::Handle(Handler handler) {
  std::lock_guard<std::mutex> lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<FakeChatServer::Recorded> FakeChatServer::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

int FakeChatServer::request_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(requests_.size());
}

bool FakeChatServer::WaitForGate(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return gate_changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                                [this] { return gate_open_; });
}

void FakeChatServer::Open() {
  std::lock_guard<std::mutex> lock(mutex_);
  gate_open_ = true;
  gate_changed_.notify_all();
}

void FakeChatServer::StreamEvents(httplib::Response& response,
                                  std::vector<std::string> events) {
  auto shared = std::make_shared<std::vector<std::string>>(std::move(events));
  response.set_chunked_content_provider(
      "text/event-stream", [shared](size_t, httplib::DataSink& sink) {
        for (const std::string& event : *shared) {
          // A multi-line event is several data lines (joined again by
          // the reader).
          const std::string frame = absl::StrCat(
              "data: ", absl::StrReplaceAll(event, {{"\n", "\ndata: "}}),
              "\n\n");
          if (!sink.write(frame.data(), frame.size())) return false;
        }
        sink.done();
        return true;
      });
}

}  // namespace bastion::runs
