// The chat-completions wire format (POST <base>/chat/completions): the
// request body built from a ModelRequest, and the answer read back, whole
// (`choices[0].message`) or streamed (`choices[0].delta` chunks ending with
// "[DONE]"). JSON through nlohmann-json; nothing here throws.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_OPENAI_JSON_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_OPENAI_JSON_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/run_executor/model/model.h"

namespace bastion::runs {

// Most tool calls accepted in one answer.
inline constexpr size_t kMaxToolCallsPerReply = 64;

struct ChatRequestSettings {
  std::string model;
  bool stream = true;
  std::optional<double> temperature;
  // Sent as max_tokens when > 0.
  int max_tokens = 0;
};

// The JSON body: model, messages (system, user, assistant with tool_calls,
// tool with tool_call_id), tools as {"type":"function","function":{name,
// description, parameters}} (an empty schema becomes an object without
// properties), stream, temperature, max_tokens. INVALID_ARGUMENT naming the
// tool when its schema is not a JSON object. Invalid UTF-8 in any text is
// replaced (U+FFFD), never an error.
absl::StatusOr<std::string> BuildChatRequest(
    const ChatRequestSettings& settings, const ModelRequest& request);

// A whole (non-streamed) answer: choices[0].message.content (null is empty)
// and its tool_calls (function.name required; arguments a string, or an
// object which is serialized). INTERNAL when the body is not such an
// answer; UNAVAILABLE when it is an {"error": ...} object.
absl::StatusOr<ModelReply> ParseChatCompletion(absl::string_view body);

// Assembles one streamed answer from its events. Not thread-safe.
class StreamedReply {
 public:
  using TextHandler = std::function<void(absl::string_view text)>;

  // One event's data: a chunk or "[DONE]". Content pieces go to on_text
  // (may be empty) as they come; tool calls are collected by their
  // `index` (the position in the chunk's array when absent), with the id
  // and name taken from the first chunk that has them and the arguments
  // concatenated. Events after "[DONE]" are ignored. INTERNAL for a chunk
  // that cannot be understood; UNAVAILABLE when the server reports an
  // error in the stream.
  absl::Status Add(absl::string_view data, const TextHandler& on_text);

  // The assembled answer once the stream has ended: INTERNAL when it ended
  // without "[DONE]" or a finish_reason (a cut-off answer).
  absl::StatusOr<ModelReply> Finish();

 private:
  std::string text_;
  std::map<int64_t, ToolCallRequest> tool_calls_;
  bool done_ = false;
  bool finished_ = false;
};

// A short machine-readable reason from an error body (error.code, else
// error.type, e.g. "rate_limit_exceeded"), for logs: only when it is 1-64
// of [A-Za-z0-9_.-] and does not contain `secret`; empty otherwise. Never
// the server's free-text message, which may quote a key.
std::string LoggableErrorKind(absl::string_view body, absl::string_view secret);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_OPENAI_JSON_H_
