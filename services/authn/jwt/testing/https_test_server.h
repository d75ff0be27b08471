// A local HTTPS server for tests: cpp-httplib's SSLServer on 127.0.0.1 (port
// 0) with a certificate from a throwaway CA, serving scripted answers per
// path and counting the requests it gets. Stands in for an identity
// provider's JWKS and discovery endpoints (test-only).
#ifndef BASTION_SERVICES_AUTHN_JWT_TESTING_HTTPS_TEST_SERVER_H_
#define BASTION_SERVICES_AUTHN_JWT_TESTING_HTTPS_TEST_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace httplib {
class SSLServer;
}  // namespace httplib

namespace bastion::authn::jwt::testing {

// Thread-safe.
class HttpsTestServer {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::string cache_control;  // Sent when not empty.
    std::string location;       // Sent when not empty (redirects).
    absl::Duration delay;       // Before answering (cut short by Stop).
    bool chunked = false;       // Body without Content-Length, in chunks.
  };

  // Writes the CA and the server's key and certificate under `dir`.
  static absl::StatusOr<std::unique_ptr<HttpsTestServer>> Start(
      const std::string& dir);
  ~HttpsTestServer();

  // Answer for GET `path`; unknown paths answer 404.
  void Set(const std::string& path, Answer answer);
  // Requests received for `path`, and for all paths.
  int64_t hits(const std::string& path) const;
  int64_t total_hits() const;

  // https://127.0.0.1:<port><path>
  std::string Url(const std::string& path) const;
  // https://localhost:<port><path> (the certificate names both).
  std::string LocalhostUrl(const std::string& path) const;
  // PEM file of the CA that issued the server's certificate.
  const std::string& ca_file() const { return ca_file_; }

  // An outage: stops listening (connections are refused) and releases
  // delayed answers. Restart() listens again on the same port.
  void Stop();
  absl::Status Restart();

 private:
  HttpsTestServer() = default;
  absl::Status Listen();

  std::string cert_file_, key_file_, ca_file_;
  int port_ = 0;
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<absl::Notification> stopping_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::map<std::string, Answer> answers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> hits_ ABSL_GUARDED_BY(mu_);
  int64_t total_hits_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace bastion::authn::jwt::testing

#endif  // BASTION_SERVICES_AUTHN_JWT_TESTING_HTTPS_TEST_SERVER_H_
