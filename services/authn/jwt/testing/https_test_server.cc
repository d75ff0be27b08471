// The scripted HTTPS test server; see https_test_server.h.
#include "services/authn/jwt/testing/https_test_server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/tls/test_certs.h"

namespace bastion::authn::jwt::testing {

absl::StatusOr<std::unique_ptr<HttpsTestServer>> HttpsTestServer::Start(
    const std::string& dir) {
  static std::atomic<int> instances{0};
  const std::string prefix = absl::StrCat("idp", instances.fetch_add(1), "-");
  absl::StatusOr<tls::testing::TestCa> ca =
      tls::testing::TestCa::Create("test identity provider CA");
  if (!ca.ok()) return ca.status();
  tls::testing::IssueOptions issue;
  issue.common_name = "127.0.0.1";
  issue.subject_alt_names = {"IP:127.0.0.1", "DNS:localhost"};
  absl::StatusOr<tls::testing::IssuedCert> leaf = ca->Issue(issue);
  if (!leaf.ok()) return leaf.status();
  std::unique_ptr<HttpsTestServer> server(new HttpsTestServer());
  for (auto [field, name, contents] :
       {std::make_tuple(&server->ca_file_, "ca.pem", ca->cert_pem()),
        std::make_tuple(&server->cert_file_, "cert.pem", leaf->cert_pem),
        std::make_tuple(&server->key_file_, "key.pem", leaf->key_pem)}) {
    absl::StatusOr<std::string> path =
        tls::testing::WriteTestFile(dir, prefix + name, contents);
    if (!path.ok()) return path.status();
    *field = *std::move(path);
  }
  if (absl::Status listening = server->Listen(); !listening.ok()) {
    return listening;
  }
  return server;
}

HttpsTestServer::~HttpsTestServer() { Stop(); }

absl::Status HttpsTestServer::Listen() {
  server_ = std::make_unique<httplib::SSLServer>(cert_file_.c_str(),
                                                 key_file_.c_str());
  if (!server_->is_valid()) {
    return absl::InternalError("cannot set up the TLS server");
  }
  stopping_ = std::make_unique<absl::Notification>();
  absl::Notification* stopping = stopping_.get();
  server_->Get(".*", [this, stopping](const httplib::Request& request,
                                      httplib::Response& response) {
    Answer answer;
    bool known = false;
    {
      absl::MutexLock lock(&mu_);
      ++hits_[request.path];
      ++total_hits_;
      auto it = answers_.find(request.path);
      if (it != answers_.end()) {
        answer = it->second;
        known = true;
      }
    }
    if (!known) {
      response.status = 404;
      return;
    }
    if (answer.delay > absl::ZeroDuration()) {
      stopping->WaitForNotificationWithTimeout(answer.delay);
    }
    response.status = answer.status;
    if (!answer.cache_control.empty()) {
      response.set_header("Cache-Control", answer.cache_control);
    }
    if (!answer.location.empty()) {
      response.set_header("Location", answer.location);
    }
    if (!answer.chunked) {
      response.set_content(answer.body, "application/json");
      return;
    }
    response.set_chunked_content_provider(
        "application/json", [body = std::move(answer.body)](
                                size_t offset, httplib::DataSink& sink) {
          if (offset >= body.size()) {
            sink.done();
            return true;
          }
          const size_t size = std::min<size_t>(16 * 1024, body.size() - offset);
          return sink.write(body.data() + offset, size);
        });
  });
  if (port_ == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return absl::InternalError("cannot bind 127.0.0.1");
  } else if (!server_->bind_to_port("127.0.0.1", port_)) {
    return absl::InternalError(absl::StrCat("cannot bind port ", port_));
  }
  thread_ =
      std::thread([server = server_.get()] { server->listen_after_bind(); });
  // Stop() only takes effect on a running server: wait until it runs.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server_->is_running()) {
    if (absl::Now() > deadline) return absl::InternalError("server not up");
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::OkStatus();
}

void HttpsTestServer::Stop() {
  if (server_ == nullptr) return;
  stopping_->Notify();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

absl::Status HttpsTestServer::Restart() {
  Stop();
  return Listen();
}

void HttpsTestServer::Set(const std::string& path, Answer answer) {
  absl::MutexLock lock(&mu_);
  answers_[path] = std::move(answer);
}

int64_t HttpsTestServer::hits(const std::string& path) const {
  absl::MutexLock lock(&mu_);
  auto it = hits_.find(path);
  return it == hits_.end() ? 0 : it->second;
}

int64_t HttpsTestServer::total_hits() const {
  absl::MutexLock lock(&mu_);
  return total_hits_;
}

std::string HttpsTestServer::Url(const std::string& path) const {
  return absl::StrCat("https://127.0.0.1:", port_, path);
}

std::string HttpsTestServer::LocalhostUrl(const std::string& path) const {
  return absl::StrCat("https://localhost:", port_, path);
}

}  // namespace bastion::authn::jwt::testing
