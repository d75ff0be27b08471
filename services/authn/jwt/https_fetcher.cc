// libcurl-based HTTPS fetches; see https_fetcher.h.
#include "services/authn/jwt/https_fetcher.h"

#include <curl/curl.h>

#include <fstream>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace bastion::authn::jwt {
namespace {

constexpr size_t kMaxCacheControlBytes = 1024;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlUrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;

// curl_global_init is not thread-safe in every build: run it once, before
// any handle exists.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One part of a parsed URL, or "" when absent.
std::string Part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) {
    return "";
  }
  std::string out(value);
  curl_free(value);
  return out;
}

CurlUrlPtr ParseUrl(absl::string_view text) {
  CurlUrlPtr url(curl_url());
  if (url == nullptr) return nullptr;
  // No CURLU_GUESS_SCHEME and no default scheme: "host/path" is an error.
  if (curl_url_set(url.get(), CURLUPART_URL, std::string(text).c_str(), 0) !=
      CURLUE_OK) {
    return nullptr;
  }
  return url;
}

// What a transfer collects; owned by Get() for the duration of one call.
struct Transfer {
  size_t max_body_bytes = 0;
  std::string body;
  bool body_too_large = false;
  std::string cache_control;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  Transfer* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->max_body_bytes) {
    transfer->body_too_large = true;
    return 0;  // Aborts the transfer (CURLE_WRITE_ERROR).
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  Transfer* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const absl::string_view line(data, bytes);
  if (absl::StartsWith(line, "HTTP/")) {
    transfer->cache_control.clear();  // A new (e.g. after 100) response.
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return bytes;
  if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)),
                              "cache-control")) {
    return bytes;
  }
  const absl::string_view value =
      absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (!transfer->cache_control.empty()) transfer->cache_control += ", ";
  transfer->cache_control.append(value.data(), value.size());
  if (transfer->cache_control.size() > kMaxCacheControlBytes) {
    transfer->cache_control = "no-cache";
  }
  return bytes;
}

}  // namespace

absl::Status CheckHttpsUrl(absl::string_view url) {
  CurlUrlPtr parsed = ParseUrl(url);
  if (parsed == nullptr) return absl::InvalidArgumentError("not a valid URL");
  if (absl::AsciiStrToLower(Part(parsed.get(), CURLUPART_SCHEME)) != "https") {
    return absl::InvalidArgumentError(
        "only https:// URLs are accepted (plain http would let anyone on the "
        "path replace the keys)");
  }
  if (Part(parsed.get(), CURLUPART_HOST).empty()) {
    return absl::InvalidArgumentError("URL has no host");
  }
  if (!Part(parsed.get(), CURLUPART_USER).empty() ||
      !Part(parsed.get(), CURLUPART_PASSWORD).empty()) {
    return absl::InvalidArgumentError("URL carries user info (a credential)");
  }
  return absl::OkStatus();
}

std::string UrlForLog(absl::string_view url) {
  CurlUrlPtr parsed = ParseUrl(url);
  if (parsed == nullptr) return "(invalid URL)";
  std::string out = absl::StrCat(Part(parsed.get(), CURLUPART_SCHEME), "://",
                                 Part(parsed.get(), CURLUPART_HOST));
  const std::string port = Part(parsed.get(), CURLUPART_PORT);
  if (!port.empty()) absl::StrAppend(&out, ":", port);
  absl::StrAppend(&out, Part(parsed.get(), CURLUPART_PATH));
  return out;
}

absl::StatusOr<std::unique_ptr<HttpsFetcher>> HttpsFetcher::Create(
    HttpsFetchOptions options) {
  const auto in_range = [](absl::Duration d) {
    return d >= absl::Milliseconds(1) && d <= absl::Minutes(10);
  };
  if (!in_range(options.connect_timeout) || !in_range(options.timeout) ||
      options.connect_timeout > options.timeout) {
    return absl::InvalidArgumentError(
        "timeouts must be 1 ms..10 min, the connect timeout at most the "
        "total");
  }
  if (options.max_body_bytes == 0) {
    return absl::InvalidArgumentError("the body cap must be positive");
  }
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read CA file ", options.ca_file));
  }
  InitCurlOnce();
  return std::unique_ptr<HttpsFetcher>(new HttpsFetcher(std::move(options)));
}

absl::StatusOr<HttpsResponse> HttpsFetcher::Get(const std::string& url) const {
  if (absl::Status valid = CheckHttpsUrl(url); !valid.ok()) return valid;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, "Accept: application/json"));
  if (curl == nullptr || headers == nullptr) {
    return absl::InternalError("cannot create a libcurl handle");
  }
  Transfer transfer;
  transfer.max_body_bytes = options_.max_body_bytes;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");  // Ignore *_proxy variables.
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_SSLVERSION,
                   static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  curl_easy_setopt(
      h, CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(
      h, CURLOPT_TIMEOUT_MS,
      static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_body_bytes));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "bastion-authn");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);

  const CURLcode code = curl_easy_perform(h);
  if (transfer.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "response larger than ", options_.max_body_bytes, " bytes"));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("fetch failed: ", curl_easy_strerror(code),
                     error[0] != '\0' ? absl::StrCat(" (", error, ")") : ""));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return absl::UnavailableError(absl::StrCat(
        "HTTP status ", status,
        status >= 300 && status < 400 ? " (redirects are not followed)" : ""));
  }
  return HttpsResponse{std::move(transfer.body),
                       std::move(transfer.cache_control)};
}

}  // namespace bastion::authn::jwt
