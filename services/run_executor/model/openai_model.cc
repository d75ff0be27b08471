#include "services/run_executor/model/openai_model.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/run_executor/model/model_specs.h"
#include "services/run_executor/model/openai_json.h"
#include "services/run_executor/model/sse_parser.h"

namespace bastion::runs {
namespace {

// How often a running call looks at cancellation and the deadline.
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);
// An error body is kept only to find its error kind for the log.
constexpr size_t kMaxErrorBodyBytes = 16 << 10;
// Retry-After values beyond this are not believed.
constexpr int kMaxRetryAfterSeconds = 3600;
constexpr int kMaxRetriesAllowed = 5;

absl::Status InitCurlOnce() {
  static const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (code != CURLE_OK) {
    return absl::InternalError("libcurl could not be initialised");
  }
  return absl::OkStatus();
}

bool HasControlCharacters(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_iscntrl(c)) return true;
  }
  return false;
}

// The state of one HTTP exchange, reached from libcurl's callbacks (which
// run on the calling thread, inside curl_multi_perform).
struct Transfer {
  Transfer(const OpenAiModelConfig& config, const ModelCallOptions& options)
      : config(config),
        options(options),
        sse([this](absl::string_view data) { return OnEvent(data); },
            config.max_answer_bytes) {}

  absl::Status OnEvent(absl::string_view data) {
    return streamed.Add(data, [this](absl::string_view text) {
      Deliver(text);
    });
  }

  void Deliver(absl::string_view text) {
    delivered_text = true;
    if (options.on_text) options.on_text(text);
  }

  const OpenAiModelConfig& config;
  const ModelCallOptions& options;
  CURL* easy = nullptr;
  size_t received = 0;
  // Decided at the first byte of a 2xx body, from its Content-Type: servers
  // that ignore "stream" answer whole, and that is read as well.
  std::optional<bool> event_stream;
  // A whole answer, or (non-2xx) the start of the error body.
  std::string body;
  StreamedReply streamed;
  SseParser sse;
  bool delivered_text = false;
  // Why a callback stopped the transfer.
  absl::Status failure;
  absl::Duration retry_after = absl::ZeroDuration();
};

size_t OnBody(char* data, size_t size, size_t count, void* context) {
  Transfer& transfer = *static_cast<Transfer*>(context);
  const size_t length = size * count;
  const absl::string_view bytes(data, length);
  long http_status = 0;
  curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &http_status);
  if (http_status < 200 || http_status >= 300) {
    // Only the error kind is read from it; a long one is cut short.
    const size_t room = kMaxErrorBodyBytes - transfer.body.size();
    const absl::string_view kept = bytes.substr(0, room);
    transfer.body.append(kept.data(), kept.size());
    return length <= room ? length : 0;
  }
  transfer.received += length;
  if (transfer.received > transfer.config.max_answer_bytes) {
    transfer.failure = absl::InternalError(
        absl::StrCat("model answer larger than ",
                     transfer.config.max_answer_bytes, " bytes"));
    return 0;
  }
  if (!transfer.event_stream.has_value()) {
    char* content_type = nullptr;
    curl_easy_getinfo(transfer.easy, CURLINFO_CONTENT_TYPE, &content_type);
    transfer.event_stream =
        content_type != nullptr &&
        absl::StartsWithIgnoreCase(content_type, "text/event-stream");
  }
  if (!*transfer.event_stream) {
    transfer.body.append(bytes.data(), bytes.size());
    return length;
  }
  absl::Status fed = transfer.sse.Feed(bytes);
  if (!fed.ok()) {
    transfer.failure =
        fed.code() == absl::StatusCode::kResourceExhausted
            ? absl::InternalError(absl::StrCat(
                  "model answer could not be understood (", fed.message(),
                  ")"))
            : fed;
    return 0;
  }
  return length;
}

size_t OnHeader(char* data, size_t size, size_t count, void* context) {
  Transfer& transfer = *static_cast<Transfer*>(context);
  absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new response (e.g. after "100 Continue") starts afresh.
    transfer.retry_after = absl::ZeroDuration();
  } else if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
    line.remove_prefix(std::strlen("retry-after:"));
    int seconds = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &seconds) &&
        seconds >= 0 && seconds <= kMaxRetryAfterSeconds) {
      transfer.retry_after = absl::Seconds(seconds);
    }
  }
  return size * count;
}

// The curl handles of one exchange, released in the order curl wants.
struct CurlCall {
  CurlCall() : easy(curl_easy_init()), multi(curl_multi_init()) {}
  ~CurlCall() {
    if (added) curl_multi_remove_handle(multi, easy);
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
  }
  CurlCall(const CurlCall&) = delete;
  CurlCall& operator=(const CurlCall&) = delete;

  CURL* easy;
  CURLM* multi;
  curl_slist* headers = nullptr;
  bool added = false;
};

// The answer to a non-2xx status: the code the caller sees and whether
// another attempt may help.
std::pair<absl::Status, bool> FromHttpStatus(long http_status) {
  const std::string code = absl::StrCat("(HTTP ", http_status, ")");
  if (http_status == 429) {
    return {absl::ResourceExhaustedError(
                absl::StrCat("model server is rate limiting ", code)),
            true};
  }
  if (http_status == 408 || http_status >= 500) {
    return {absl::UnavailableError(
                absl::StrCat("model server unavailable ", code)),
            true};
  }
  if (http_status == 401 || http_status == 403) {
    return {absl::UnavailableError(absl::StrCat(
                "model server refused the configured credentials ", code)),
            false};
  }
  return {absl::InternalError(
              absl::StrCat("model server rejected the request ", code)),
          false};
}

absl::Status WithAttempts(const absl::Status& status, int attempts) {
  if (attempts <= 1) return status;
  return absl::Status(status.code(), absl::StrCat(status.message(), " after ",
                                                  attempts, " attempts"));
}

// A factor in [0.75, 1] (the backoff jitter).
double Jitter() {
  thread_local std::minstd_rand engine(std::random_device{}());
  return std::uniform_real_distribution<double>(0.75, 1.0)(engine);
}

}  // namespace

struct OpenAiModel::Attempt {
  absl::StatusOr<ModelReply> reply;
  bool retryable = false;
  absl::Duration retry_after = absl::ZeroDuration();
  // For the log: what failed, in words without secrets.
  std::string reason;
};

// DNS answers and TLS sessions shared by all calls of one model. curl asks
// for a lock per kind of shared data.
class OpenAiModel::Share {
 public:
  Share() : handle_(curl_share_init()) {
    if (handle_ == nullptr) return;
    curl_share_setopt(handle_, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(handle_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(handle_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(handle_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(handle_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Share() {
    if (handle_ != nullptr) curl_share_cleanup(handle_);
  }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  CURLSH* handle() const { return handle_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
    static_cast<Share*>(self)->MutexFor(data).lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* self) {
    static_cast<Share*>(self)->MutexFor(data).unlock();
  }
  std::mutex& MutexFor(curl_lock_data data) {
    const size_t index = static_cast<size_t>(data);
    return mutexes_[index < mutexes_.size() ? index : 0];
  }

  CURLSH* const handle_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

absl::StatusOr<std::unique_ptr<OpenAiModel>> OpenAiModel::Create(
    OpenAiModelConfig config) {
  const std::string what = absl::StrCat("model \"", config.name, "\"");
  RETURN_IF_ERROR(CheckBaseUrl(absl::StrCat(what, ": base URL"),
                               config.base_url));
  if (config.model.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": the model name is required"));
  }
  // The key goes into a header line: a line break would inject headers.
  if (HasControlCharacters(config.api_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": the API key contains characters not allowed in a header"));
  }
  if (config.connect_timeout <= absl::ZeroDuration() ||
      config.timeout <= absl::ZeroDuration() || config.max_retries < 0 ||
      config.max_retries > kMaxRetriesAllowed ||
      config.initial_backoff < absl::ZeroDuration() ||
      config.max_backoff < config.initial_backoff ||
      config.max_answer_bytes == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": timeouts must be positive, retries 0..", kMaxRetriesAllowed,
        ", backoff 0..max_backoff and the answer bound positive"));
  }
  RETURN_IF_ERROR(InitCurlOnce());
  auto share = std::make_unique<Share>();
  if (share->handle() == nullptr) {
    return absl::InternalError("libcurl could not create a share handle");
  }
  return std::unique_ptr<OpenAiModel>(
      new OpenAiModel(std::move(config), std::move(share)));
}

OpenAiModel::OpenAiModel(OpenAiModelConfig config,
                         std::unique_ptr<Share> share)
    : config_(std::move(config)),
      url_(absl::StrCat(absl::StripSuffix(config_.base_url, "/"),
                        "/chat/completions")),
      share_(std::move(share)) {}

OpenAiModel::~OpenAiModel() = default;

absl::StatusOr<ModelReply> OpenAiModel::Complete(
    const ModelRequest& request, const ModelCallOptions& options) const {
  if (options.cancelled && options.cancelled()) {
    return absl::CancelledError("model call cancelled");
  }
  if (absl::Now() >= options.deadline) {
    return absl::DeadlineExceededError("model call ran out of time");
  }
  absl::StatusOr<std::string> body = BuildChatRequest(
      {config_.model, config_.stream, config_.temperature, config_.max_tokens},
      request);
  if (!body.ok()) return absl::InternalError(body.status().message());

  for (int attempt = 0;; ++attempt) {
    Attempt result = Exchange(*body, options);
    if (result.reply.ok()) return result.reply;
    const absl::Status status = result.reply.status();
    if (status.code() == absl::StatusCode::kCancelled) return status;

    const std::string attempts = absl::StrCat(attempt + 1);
    absl::Duration backoff = std::min(
        config_.max_backoff, config_.initial_backoff * std::pow(2.0, attempt));
    backoff = std::max(backoff * Jitter(),
                       std::min(result.retry_after, config_.max_backoff));
    const bool retry = result.retryable && attempt < config_.max_retries &&
                       absl::Now() + backoff < options.deadline;
    if (!retry) {
      Log(LogLevel::kWarning, "model_call_failed",
          {{"model", config_.name},
           {"url", url_},
           {"attempts", attempts},
           {"status", absl::StatusCodeToString(status.code())},
           {"reason", result.reason}});
      return WithAttempts(status, attempt + 1);
    }
    const std::string backoff_ms =
        absl::StrCat(absl::ToInt64Milliseconds(backoff));
    Log(LogLevel::kInfo, "model_call_retry",
        {{"model", config_.name},
         {"attempt", attempts},
         {"reason", result.reason},
         {"backoff_ms", backoff_ms}});
    if (!WaitToRetry(backoff, options)) {
      return absl::CancelledError("model call cancelled");
    }
  }
}

bool OpenAiModel::WaitToRetry(absl::Duration backoff,
                              const ModelCallOptions& options) const {
  const absl::Time until = absl::Now() + backoff;
  for (absl::Time now = absl::Now(); now < until; now = absl::Now()) {
    if (options.cancelled && options.cancelled()) return false;
    absl::SleepFor(std::min(kPollInterval, until - now));
  }
  return !(options.cancelled && options.cancelled());
}

OpenAiModel::Attempt OpenAiModel::Exchange(
    const std::string& body, const ModelCallOptions& options) const {
  Attempt attempt;
  const absl::Duration remaining = options.deadline - absl::Now();
  if (remaining <= absl::ZeroDuration()) {
    attempt.reply = absl::DeadlineExceededError("model call ran out of time");
    attempt.reason = "deadline";
    return attempt;
  }
  const absl::Duration timeout = std::min(config_.timeout, remaining);
  const absl::Duration connect_timeout =
      std::min(config_.connect_timeout, timeout);

  Transfer transfer(config_, options);
  CurlCall call;
  if (call.easy == nullptr || call.multi == nullptr) {
    attempt.reply = absl::InternalError("model call could not be started");
    attempt.reason = "curl handles";
    return attempt;
  }
  transfer.easy = call.easy;
  call.headers = curl_slist_append(call.headers,
                                   "Content-Type: application/json");
  call.headers = curl_slist_append(
      call.headers, config_.stream ? "Accept: text/event-stream"
                                   : "Accept: application/json");
  call.headers = curl_slist_append(call.headers, "Expect:");
  if (!config_.api_key.empty()) {
    call.headers = curl_slist_append(
        call.headers,
        absl::StrCat("Authorization: Bearer ", config_.api_key).c_str());
  }

  CURL* easy = call.easy;
  // Each option returns CURLE_OK (0) or an error: any bit set is a failure.
  const int setup_failed =
      static_cast<int>(
          curl_easy_setopt(easy, CURLOPT_URL, url_.c_str()) |
          curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") |
          curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) |
          curl_easy_setopt(easy, CURLOPT_POST, 1L) |
          curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data()) |
          curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(body.size())) |
          curl_easy_setopt(easy, CURLOPT_HTTPHEADER, call.headers) |
          curl_easy_setopt(easy, CURLOPT_USERAGENT, "bastion-run-executor") |
          curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(std::max<int64_t>(
                               1, absl::ToInt64Milliseconds(connect_timeout)))) |
          curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                           static_cast<long>(std::max<int64_t>(
                               1, absl::ToInt64Milliseconds(timeout)))) |
          curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnBody) |
          curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer) |
          curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader) |
          curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer) |
          curl_easy_setopt(easy, CURLOPT_SHARE, share_->handle()));
  if (setup_failed != 0 || curl_multi_add_handle(call.multi, easy) != CURLM_OK) {
    attempt.reply = absl::InternalError("model call could not be started");
    attempt.reason = "curl setup";
    return attempt;
  }
  call.added = true;

  // Driven here rather than by curl_easy_perform so that cancellation and
  // the deadline are seen within kPollInterval, even while the server is
  // silent.
  for (int running = 1;;) {
    const CURLMcode performed = curl_multi_perform(call.multi, &running);
    if (performed != CURLM_OK) {
      attempt.reply = absl::UnavailableError("model server unreachable");
      attempt.reason = curl_multi_strerror(performed);
      return attempt;
    }
    if (running == 0) break;
    if (options.cancelled && options.cancelled()) {
      attempt.reply = absl::CancelledError("model call cancelled");
      attempt.reason = "cancelled";
      return attempt;
    }
    if (absl::Now() >= options.deadline) {
      attempt.reply = absl::DeadlineExceededError("model call ran out of time");
      attempt.reason = "deadline";
      return attempt;
    }
    curl_multi_poll(call.multi, nullptr, 0,
                    static_cast<int>(absl::ToInt64Milliseconds(kPollInterval)),
                    nullptr);
  }
  CURLcode code = CURLE_OK;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(call.multi, &queued)) {
    if (message->msg == CURLMSG_DONE) code = message->data.result;
  }
  long http_status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status);

  if (!transfer.failure.ok()) {
    attempt.reply = transfer.failure;
    attempt.reason = std::string(transfer.failure.message());
    return attempt;
  }
  if (http_status != 0 && (http_status < 200 || http_status >= 300)) {
    auto [status, retryable] = FromHttpStatus(http_status);
    attempt.reply = status;
    attempt.retryable = retryable;
    attempt.retry_after = transfer.retry_after;
    const std::string kind = LoggableErrorKind(transfer.body, config_.api_key);
    attempt.reason = absl::StrCat("http ", http_status,
                                  kind.empty() ? "" : " ", kind);
    return attempt;
  }
  if (code != CURLE_OK) {
    attempt.reason = curl_easy_strerror(code);
    curl_off_t connect_time = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
    switch (code) {
      case CURLE_OPERATION_TIMEDOUT:
        if (connect_time > 0) {
          attempt.reply =
              absl::DeadlineExceededError("model server answered too slowly");
        } else {
          attempt.reply = absl::UnavailableError("model server unreachable");
          attempt.retryable = true;
        }
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
      case CURLE_COULDNT_CONNECT:
        attempt.reply = absl::UnavailableError("model server unreachable");
        attempt.retryable = true;
        break;
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        attempt.reply = absl::UnavailableError(
            "connection to the model server lost before the answer ended");
        // Text already handed on cannot be taken back.
        attempt.retryable = !transfer.delivered_text;
        break;
      default:
        attempt.reply = absl::UnavailableError("model server unreachable");
        break;
    }
    return attempt;
  }
  if (transfer.event_stream.value_or(false)) {
    attempt.reply = transfer.streamed.Finish();
  } else {
    attempt.reply = ParseChatCompletion(transfer.body);
    if (attempt.reply.ok() && !attempt.reply->text.empty()) {
      transfer.Deliver(attempt.reply->text);
    }
  }
  if (!attempt.reply.ok()) {
    attempt.reason = std::string(attempt.reply.status().message());
  }
  return attempt;
}

}  // namespace bastion::runs
