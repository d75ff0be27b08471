// A client of an OpenAI-compatible chat-completions server (OpenAI, vLLM,
// Ollama, llama.cpp's server) over libcurl: tool calling, streamed answers
// (server-sent events handed to on_text as they arrive), connect and total
// timeouts, bounded retries with backoff on 429, 408, 5xx and failed
// connections. The API key goes only into the Authorization header: never
// into a log line, an error or a reply.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_OPENAI_MODEL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_OPENAI_MODEL_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/run_executor/model/model.h"

namespace bastion::runs {

// Everything one server needs, resolved from the registry and the
// environment at startup (ModelCatalog does this).
struct OpenAiModelConfig {
  // Registry name; used in logs and messages.
  std::string name;
  // Up to and including the version, e.g. "https://api.openai.com/v1";
  // "/chat/completions" is appended (a trailing "/" is dropped).
  std::string base_url;
  // Sent as "model".
  std::string model;
  // Secret. Empty: no Authorization header (local servers).
  std::string api_key;
  bool stream = true;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Total time of one attempt.
  absl::Duration timeout = absl::Seconds(120);
  // Attempts after the first one.
  int max_retries = 2;
  std::optional<double> temperature;
  // Sent when > 0.
  int max_tokens = 0;
  // Backoff before retry n (from 0): initial_backoff * 2^n, at most
  // max_backoff, lowered by up to a quarter at random so that runs hit by
  // the same 429 do not come back together. A Retry-After header (seconds)
  // raises it, up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(8);
  // Largest answer body accepted (whole, or the sum of a stream's bytes).
  size_t max_answer_bytes = 4 << 20;
};

// Thread-safe: one instance serves every run that names the model. Each
// call uses its own curl handles; DNS answers and TLS sessions are shared
// between calls (a curl share guarded by mutexes).
//
// Failures (caller-safe messages; details without secrets go to the log):
//   CANCELLED           options.cancelled() turned true (checked at least
//                       every 50 ms, also while waiting to retry);
//   DEADLINE_EXCEEDED   options.deadline passed, or one attempt took longer
//                       than `timeout` (not retried);
//   RESOURCE_EXHAUSTED  429 after the last retry;
//   UNAVAILABLE         unreachable, 408/5xx after the last retry, the key
//                       refused (401/403), a connection lost mid-answer
//                       (not retried once text was handed to on_text), or
//                       an {"error": ...} answer;
//   INTERNAL            another 4xx, an answer that cannot be understood,
//                       or one larger than max_answer_bytes.
class OpenAiModel final : public Model {
 public:
  // INVALID_ARGUMENT for an unusable configuration (the message never
  // contains the key).
  static absl::StatusOr<std::unique_ptr<OpenAiModel>> Create(
      OpenAiModelConfig config);
  ~OpenAiModel() override;

  OpenAiModel(const OpenAiModel&) = delete;
  OpenAiModel& operator=(const OpenAiModel&) = delete;

  absl::StatusOr<ModelReply> Complete(
      const ModelRequest& request,
      const ModelCallOptions& options) const override;

 private:
  struct Attempt;
  class Share;

  OpenAiModel(OpenAiModelConfig config, std::unique_ptr<Share> share);

  // One HTTP exchange.
  Attempt Exchange(const std::string& body,
                   const ModelCallOptions& options) const;
  // Sleeps `backoff` unless cancelled first (false).
  bool WaitToRetry(absl::Duration backoff,
                   const ModelCallOptions& options) const;

  const OpenAiModelConfig config_;
  const std::string url_;
  const std::unique_ptr<Share> share_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_OPENAI_MODEL_H_
