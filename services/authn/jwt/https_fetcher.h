// HTTPS GET of small documents from an identity provider (JWKS, OpenID
// discovery) with libcurl: https:// only, the certificate and host name
// verified (system CAs or a given CA file), TLS 1.2 or newer, no redirects,
// no proxy, no content encoding, connect and total timeouts, a cap on the
// body. Errors describe the failure and never carry the response body.
#ifndef BASTION_SERVICES_AUTHN_JWT_HTTPS_FETCHER_H_
#define BASTION_SERVICES_AUTHN_JWT_HTTPS_FETCHER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bastion::authn::jwt {

struct HttpsFetchOptions {
  // PEM CA bundle that verifies the server; empty = the system's CAs.
  std::string ca_file;
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration timeout = absl::Seconds(5);
  size_t max_body_bytes = 1 << 20;
};

struct HttpsResponse {
  std::string body;
  // The Cache-Control header of the answer ("" when absent; repeated
  // headers joined with ", "; "no-cache" when absurdly long).
  std::string cache_control;
};

// OK for an absolute https:// URL with a host and no user info;
// INVALID_ARGUMENT naming the problem otherwise (the URL itself is never
// echoed, since user info would be a credential).
absl::Status CheckHttpsUrl(absl::string_view url);

// scheme://host[:port]/path of `url` (no user info, query or fragment), for
// logs and errors; "(invalid URL)" when it does not parse.
std::string UrlForLog(absl::string_view url);

// Thread-safe: every Get() uses its own libcurl handle.
class HttpsFetcher {
 public:
  // INVALID_ARGUMENT for timeouts outside 1 ms..10 min, a connect timeout
  // over the total, a zero body cap, or an unreadable CA file.
  static absl::StatusOr<std::unique_ptr<HttpsFetcher>> Create(
      HttpsFetchOptions options);

  // The body of a 200 answer. INVALID_ARGUMENT for a URL CheckHttpsUrl
  // refuses or a body over the cap; UNAVAILABLE for connection, TLS and
  // timeout failures and for any other HTTP status (redirects included).
  absl::StatusOr<HttpsResponse> Get(const std::string& url) const;

  const HttpsFetchOptions& options() const { return options_; }

 private:
  explicit HttpsFetcher(HttpsFetchOptions options)
      : options_(std::move(options)) {}

  const HttpsFetchOptions options_;
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_HTTPS_FETCHER_H_
