// A chat-completions server for tests (testonly): listens on 127.0.0.1 at
// a port the system picks, records each POST /v1/chat/completions and
// answers it with the handler the test sets. Handlers that must stall (a
// slow server, a stream that stops) wait on a gate the test or the
// destructor opens, so nothing sleeps for time to pass.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_FAKE_CHAT_SERVER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_FAKE_CHAT_SERVER_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "httplib.h"

namespace bastion::runs {

// Thread-safe.
class FakeChatServer {
 public:
  struct Recorded {
    std::string body;
    std::string authorization;
  };
  using Handler =
      std::function<void(const httplib::Request&, httplib::Response&)>;

  FakeChatServer();
  ~FakeChatServer();
  FakeChatServer(const FakeChatServer&) = delete;
  FakeChatServer& operator=(const FakeChatServer&) = delete;

  // "http://127.0.0.1:<port>/v1".
  std::string base_url() const;
  // Answers every later request (the default answers 404).
  void Handle(Handler handler);

  std::vector<Recorded> requests() const;
  int request_count() const;

  // For handlers: blocks until Open() (true) or `timeout` (false).
  bool WaitForGate(absl::Duration timeout);
  void Open();

  // Answers as an event stream: each of `events` becomes "data: " lines
  // (one per line of the event) and a blank line, written one by one.
  static void StreamEvents(httplib::Response& response,
                           std::vector<std::string> events);

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  // std::mutex rather than absl::Mutex: ThreadSanitizer sees it, while
  // Debian's Abseil is not built for ThreadSanitizer.
  mutable std::mutex mutex_;
  std::condition_variable gate_changed_;
  bool gate_open_ = false;
  Handler handler_;
  std::vector<Recorded> requests_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_FAKE_CHAT_SERVER_H_
