#include "services/run_executor/tools/memory_tools.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/service_identity.h"
#include "common/log/log.h"
#include "common/status/grpc_status.h"
#include "services/run_executor/tools/await_call.h"
#include "services/run_executor/tools/tool_json.h"

namespace bastion::runs {

using nlohmann::json;

namespace {

constexpr int kDefaultSearchLimit = 10;

constexpr char kSearchSchema[] = R"json({
  "type": "object",
  "properties": {
    "query": {
      "type": "string",
      "description": "text the memory contains (case-insensitive); empty for any",
      "maxLength": 1024
    },
    "topic": {
      "type": "string",
      "description": "only memories with this topic",
      "maxLength": 128
    },
    "limit": {
      "type": "integer",
      "description": "most memories to return (default 10)",
      "minimum": 1,
      "maximum": 50
    }
  },
  "additionalProperties": false
})json";

constexpr char kWriteSchema[] = R"json({
  "type": "object",
  "properties": {
    "text": {
      "type": "string",
      "description": "what to remember",
      "minLength": 1,
      "maxLength": 16384
    },
    "topics": {
      "type": "array",
      "items": {"type": "string", "minLength": 1, "maxLength": 128},
      "maxItems": 32
    }
  },
  "required": ["text"],
  "additionalProperties": false
})json";

// Room kept for the result's envelope ({"memories":[...],"truncated":true}).
constexpr size_t kEnvelopeBytes = 64;

// Sends one call to data as the invocation's caller and maps data's answer:
// OK -> nullopt; a refusal the model should hear about -> an error result;
// anything else -> a status (the Toolbox turns it into an error result).
// `verb` says what was attempted ("read", "write"), for messages.
absl::StatusOr<std::optional<ToolOutcome>> CallData(
    const ToolInvocation& invocation, const char* tool, const char* verb,
    grpc::ClientContext* context,
    const std::function<void(std::function<void(grpc::Status)>)>& start) {
  if (invocation.caller == nullptr) {
    return absl::FailedPreconditionError("no caller to act for");
  }
  // The owner's assertion on this call: data scopes the rows to that owner.
  absl::Status forwarded = ForwardCaller(invocation.caller->Current(), context);
  if (!forwarded.ok()) return forwarded;
  const grpc::Status answer = AwaitUnaryCall(context, invocation.deadline,
                                             invocation.cancelled, start);
  if (answer.ok()) return std::optional<ToolOutcome>();
  Log(LogLevel::kWarning, "memory_tool_data_error",
      {{"tool", tool},
       {"run_id", invocation.run_id},
       {"code", absl::StatusCodeToString(
                    static_cast<absl::StatusCode>(answer.error_code()))},
       {"error", answer.error_message()}});
  switch (answer.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      // data's messages for invalid input are written for its callers.
      return std::optional<ToolOutcome>(ErrorResult(
          absl::StrCat("data refused the request: ", answer.error_message())));
    case grpc::StatusCode::PERMISSION_DENIED:
      return std::optional<ToolOutcome>(ErrorResult(
          absl::StrCat("the run's owner may not ", verb, " memories")));
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return std::optional<ToolOutcome>(
          ErrorResult("too many requests to data; try again later"));
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(
          "data did not accept the run owner's credential");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError("data did not answer in time");
    case grpc::StatusCode::CANCELLED:
      return absl::CancelledError("cancelled");
    default:
      return absl::UnavailableError("data unavailable");
  }
}

std::string Rfc3339(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixMicros(unix_micros),
                          absl::UTCTimeZone());
}

}  // namespace

MemorySearchTool::MemorySearchTool(std::shared_ptr<grpc::Channel> data,
                                   size_t max_result_bytes)
    : stub_(data::v1::Memories::NewStub(std::move(data))),
      max_result_bytes_(max_result_bytes),
      definition_{"memory_search",
                  "Searches the user's own memories (newest first).",
                  kSearchSchema} {}

absl::StatusOr<ToolOutcome> MemorySearchTool::Invoke(
    const ToolInvocation& invocation) const {
  absl::StatusOr<json> arguments = ArgumentsOf(invocation);
  if (!arguments.ok()) return ErrorResult(std::string(arguments.status().message()));
  absl::StatusOr<std::optional<std::string>> query =
      OptionalString(*arguments, "query");
  absl::StatusOr<std::optional<std::string>> topic =
      OptionalString(*arguments, "topic");
  if (!query.ok()) return ErrorResult(std::string(query.status().message()));
  if (!topic.ok()) return ErrorResult(std::string(topic.status().message()));
  int limit = kDefaultSearchLimit;
  if (auto found = arguments->find("limit"); found != arguments->end()) {
    if (!found->is_number_integer() || found->get<int64_t>() < 1 ||
        found->get<int64_t>() > 50) {
      return ErrorResult("arguments.limit must be an integer from 1 to 50");
    }
    limit = found->get<int>();
  }

  data::v1::ListMemoriesRequest request;
  request.mutable_page()->set_limit(limit);
  request.set_text_query(query->value_or(""));
  request.set_topic(topic->value_or(""));
  request.set_sort_order(data::v1::SORT_ORDER_DESC);
  data::v1::ListMemoriesResponse response;
  grpc::ClientContext context;
  absl::StatusOr<std::optional<ToolOutcome>> refused = CallData(
      invocation, "memory_search", "read", &context,
      [&](std::function<void(grpc::Status)> done) {
        stub_->async()->ListMemories(&context, &request, &response,
                                     std::move(done));
      });
  if (!refused.ok()) return refused.status();
  if (refused->has_value()) return **refused;

  json memories = json::array();
  size_t size = kEnvelopeBytes;
  bool truncated = false;
  for (const data::v1::Memory& memory : response.memories()) {
    json entry = {{"memory_id", memory.memory_id()},
                  {"text", memory.text()},
                  {"topics", std::vector<std::string>(memory.topics().begin(),
                                                      memory.topics().end())},
                  {"created_at", Rfc3339(memory.created_at_unix_micros())}};
    const size_t entry_size = JsonText(entry).size() + 1;
    if (size + entry_size > max_result_bytes_) {
      truncated = true;
      break;
    }
    size += entry_size;
    memories.push_back(std::move(entry));
  }
  return JsonResult({{"memories", std::move(memories)}, {"truncated", truncated}});
}

MemoryWriteTool::MemoryWriteTool(std::shared_ptr<grpc::Channel> data)
    : stub_(data::v1::Memories::NewStub(std::move(data))),
      definition_{"memory_write", "Stores a memory for the user.",
                  kWriteSchema} {}

absl::StatusOr<ToolOutcome> MemoryWriteTool::Invoke(
    const ToolInvocation& invocation) const {
  absl::StatusOr<json> arguments = ArgumentsOf(invocation);
  if (!arguments.ok()) return ErrorResult(std::string(arguments.status().message()));
  absl::StatusOr<std::optional<std::string>> text =
      OptionalString(*arguments, "text");
  if (!text.ok()) return ErrorResult(std::string(text.status().message()));
  if (!text->has_value()) return ErrorResult("arguments.text is required");

  data::v1::CreateMemoryRequest request;
  request.set_text(**text);
  if (auto topics = arguments->find("topics"); topics != arguments->end()) {
    if (!topics->is_array()) {
      return ErrorResult("arguments.topics must be an array of strings");
    }
    for (const json& topic : *topics) {
      if (!topic.is_string()) {
        return ErrorResult("arguments.topics must be an array of strings");
      }
      request.add_topics(topic.get<std::string>());
    }
  }
  data::v1::Memory stored;
  grpc::ClientContext context;
  absl::StatusOr<std::optional<ToolOutcome>> refused = CallData(
      invocation, "memory_write", "write", &context,
      [&](std::function<void(grpc::Status)> done) {
        stub_->async()->CreateMemory(&context, &request, &stored,
                                     std::move(done));
      });
  if (!refused.ok()) return refused.status();
  if (refused->has_value()) return **refused;
  return JsonResult({{"memory_id", stored.memory_id()}});
}

}  // namespace bastion::runs
