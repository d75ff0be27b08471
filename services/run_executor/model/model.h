// The seam between a run and a language model: one interface for the
// scripted model (tests, demo) and the OpenAI-compatible client, so the run
// engine never knows which one answers.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace bastion::runs {

// A tool call the model asks for.
struct ToolCallRequest {
  // Unique within the run (the model's id, or one the engine assigns).
  std::string id;
  std::string name;
  // A JSON object as text, exactly as the model produced it.
  std::string arguments_json;
};

// One message of the conversation sent to the model.
struct ChatMessage {
  enum class Role { kSystem, kUser, kAssistant, kTool };
  Role role = Role::kUser;
  std::string content;
  // kAssistant: the tool calls it asked for (content may then be empty).
  std::vector<ToolCallRequest> tool_calls;
  // kTool: which call this message answers, and the tool's name.
  std::string tool_call_id;
  std::string tool_name;
};

// A tool as the model sees it.
struct ToolDefinition {
  std::string name;
  std::string description;
  // JSON Schema of the arguments (a JSON object as text).
  std::string parameters_json_schema;
};

struct ModelRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolDefinition> tools;
};

// The model's whole answer to one request.
struct ModelReply {
  std::string text;
  std::vector<ToolCallRequest> tool_calls;
};

// How one model call is driven by its run.
struct ModelCallOptions {
  // Called with each piece of text as it arrives (streamed answers call it
  // many times); may be empty. Runs on the calling thread.
  std::function<void(absl::string_view text)> on_text;
  // Polled while waiting; true stops the call with CANCELLED.
  std::function<bool()> cancelled;
  // No answer by then: DEADLINE_EXCEEDED.
  absl::Time deadline = absl::InfiniteFuture();
};

// Thread-safe: one instance serves every run that names it, concurrently.
// Errors carry caller-safe messages (never a key, never the server's raw
// body): UNAVAILABLE (server unreachable or 5xx after retries),
// RESOURCE_EXHAUSTED (429 after retries), DEADLINE_EXCEEDED, CANCELLED,
// INTERNAL (an answer that cannot be understood).
class Model {
 public:
  virtual ~Model() = default;
  virtual absl::StatusOr<ModelReply> Complete(
      const ModelRequest& request, const ModelCallOptions& options) const = 0;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_MODEL_H_
