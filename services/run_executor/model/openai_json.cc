#include "services/run_executor/model/openai_json.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxErrorKindLength = 64;

std::string Dump(const Json& value) {
  return value.dump(/*indent=*/-1, /*indent_char=*/' ', /*ensure_ascii=*/false,
                    Json::error_handler_t::replace);
}

// Parses without exceptions: a discarded value when `text` is not JSON.
Json Parse(absl::string_view text) {
  return Json::parse(text.begin(), text.end(), /*cb=*/nullptr,
                     /*allow_exceptions=*/false);
}

// The member `key` of `object` when it is present and a string.
const std::string* StringMember(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// An {"error": ...} answer (OpenAI's shape, also mid-stream in vLLM).
bool IsErrorAnswer(const Json& answer) {
  const Json* error = Member(answer, "error");
  return error != nullptr && !error->is_null();
}

absl::Status NotUnderstood(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("model answer could not be understood (", what, ")"));
}

absl::Status ServerReportedError() {
  return absl::UnavailableError("model server reported an error");
}

const char* RoleName(ChatMessage::Role role) {
  switch (role) {
    case ChatMessage::Role::kSystem:
      return "system";
    case ChatMessage::Role::kUser:
      return "user";
    case ChatMessage::Role::kAssistant:
      return "assistant";
    case ChatMessage::Role::kTool:
      return "tool";
  }
  return "user";
}

Json MessageJson(const ChatMessage& message) {
  Json json = {{"role", RoleName(message.role)}};
  switch (message.role) {
    case ChatMessage::Role::kAssistant:
      if (message.tool_calls.empty()) {
        json["content"] = message.content;
        break;
      }
      // OpenAI wants null content beside tool calls when there is no text.
      json["content"] = message.content.empty() ? Json(nullptr)
                                                : Json(message.content);
      json["tool_calls"] = Json::array();
      for (const ToolCallRequest& call : message.tool_calls) {
        json["tool_calls"].push_back(
            {{"id", call.id},
             {"type", "function"},
             {"function",
              {{"name", call.name}, {"arguments", call.arguments_json}}}});
      }
      break;
    case ChatMessage::Role::kTool:
      json["tool_call_id"] = message.tool_call_id;
      json["content"] = message.content;
      break;
    case ChatMessage::Role::kSystem:
    case ChatMessage::Role::kUser:
      json["content"] = message.content;
      break;
  }
  return json;
}

// A tool call's arguments as text: servers send a string (OpenAI, vLLM,
// llama.cpp) or, some versions of Ollama, an object.
std::optional<std::string> ArgumentsText(const Json& arguments) {
  if (arguments.is_string()) return arguments.get<std::string>();
  if (arguments.is_object()) return Dump(arguments);
  if (arguments.is_null()) return std::string();
  return std::nullopt;
}

// choices[0] of an answer or chunk; nullptr when absent.
const Json* FirstChoice(const Json& answer) {
  const Json* choices = Member(answer, "choices");
  if (choices == nullptr || !choices->is_array() || choices->empty()) {
    return nullptr;
  }
  return &(*choices)[0];
}

}  // namespace

absl::StatusOr<std::string> BuildChatRequest(
    const ChatRequestSettings& settings, const ModelRequest& request) {
  Json body = {{"model", settings.model}, {"stream", settings.stream}};
  body["messages"] = Json::array();
  for (const ChatMessage& message : request.messages) {
    body["messages"].push_back(MessageJson(message));
  }
  if (!request.tools.empty()) {
    body["tools"] = Json::array();
    for (const ToolDefinition& tool : request.tools) {
      Json parameters =
          tool.parameters_json_schema.empty()
              ? Json{{"type", "object"}, {"properties", Json::object()}}
              : Parse(tool.parameters_json_schema);
      if (!parameters.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat("tool \"", tool.name,
                         "\" has a parameters schema that is not a JSON "
                         "object"));
      }
      body["tools"].push_back(
          {{"type", "function"},
           {"function",
            {{"name", tool.name},
             {"description", tool.description},
             {"parameters", std::move(parameters)}}}});
    }
  }
  if (settings.temperature.has_value()) {
    body["temperature"] = *settings.temperature;
  }
  if (settings.max_tokens > 0) body["max_tokens"] = settings.max_tokens;
  return Dump(body);
}

absl::StatusOr<ModelReply> ParseChatCompletion(absl::string_view body) {
  const Json answer = Parse(body);
  if (!answer.is_object()) return NotUnderstood("not a JSON object");
  if (IsErrorAnswer(answer)) return ServerReportedError();
  const Json* choice = FirstChoice(answer);
  const Json* message = choice == nullptr ? nullptr : Member(*choice, "message");
  if (message == nullptr || !message->is_object()) {
    return NotUnderstood("no choices[0].message");
  }
  ModelReply reply;
  if (const Json* content = Member(*message, "content")) {
    if (content->is_string()) {
      reply.text = content->get<std::string>();
    } else if (!content->is_null()) {
      return NotUnderstood("content is not text");
    }
  }
  const Json* calls = Member(*message, "tool_calls");
  if (calls == nullptr || calls->is_null()) return reply;
  if (!calls->is_array()) return NotUnderstood("tool_calls is not a list");
  if (calls->size() > kMaxToolCallsPerReply) {
    return NotUnderstood("too many tool calls");
  }
  for (const Json& call : *calls) {
    const Json* function = Member(call, "function");
    const std::string* name =
        function == nullptr ? nullptr : StringMember(*function, "name");
    if (name == nullptr || name->empty()) {
      return NotUnderstood("tool call without a function name");
    }
    const Json* arguments = Member(*function, "arguments");
    std::optional<std::string> arguments_text =
        arguments == nullptr ? std::optional<std::string>(std::string())
                             : ArgumentsText(*arguments);
    if (!arguments_text.has_value()) {
      return NotUnderstood("tool call arguments are neither text nor object");
    }
    const std::string* id = StringMember(call, "id");
    reply.tool_calls.push_back({id == nullptr ? std::string() : *id, *name,
                                std::move(*arguments_text)});
  }
  return reply;
}

absl::Status StreamedReply::Add(absl::string_view data,
                                const TextHandler& on_text) {
  if (done_) return absl::OkStatus();
  if (absl::StripAsciiWhitespace(data) == "[DONE]") {
    done_ = true;
    return absl::OkStatus();
  }
  if (absl::StripAsciiWhitespace(data).empty()) return absl::OkStatus();
  const Json chunk = Parse(data);
  if (!chunk.is_object()) return NotUnderstood("stream chunk is not JSON");
  if (IsErrorAnswer(chunk)) return ServerReportedError();
  const Json* choice = FirstChoice(chunk);
  // Chunks without choices (e.g. a final usage chunk) carry no answer.
  if (choice == nullptr) return absl::OkStatus();
  if (const Json* reason = Member(*choice, "finish_reason")) {
    finished_ = finished_ || (reason->is_string() && !reason->empty());
  }
  const Json* delta = Member(*choice, "delta");
  if (delta == nullptr || delta->is_null()) return absl::OkStatus();
  if (!delta->is_object()) return NotUnderstood("delta is not an object");

  if (const Json* content = Member(*delta, "content")) {
    if (content->is_string()) {
      const std::string& piece = content->get_ref<const std::string&>();
      if (!piece.empty()) {
        text_ += piece;
        if (on_text) on_text(piece);
      }
    } else if (!content->is_null()) {
      return NotUnderstood("content is not text");
    }
  }
  const Json* calls = Member(*delta, "tool_calls");
  if (calls == nullptr || calls->is_null()) return absl::OkStatus();
  if (!calls->is_array()) return NotUnderstood("tool_calls is not a list");
  for (size_t position = 0; position < calls->size(); ++position) {
    const Json& call = (*calls)[position];
    if (!call.is_object()) return NotUnderstood("tool call is not an object");
    int64_t index = static_cast<int64_t>(position);
    if (const Json* given = Member(call, "index")) {
      if (!given->is_number_integer()) {
        return NotUnderstood("tool call index is not an integer");
      }
      index = given->get<int64_t>();
    }
    if (index < 0 || index >= static_cast<int64_t>(kMaxToolCallsPerReply)) {
      return NotUnderstood("tool call index out of range");
    }
    ToolCallRequest& assembled = tool_calls_[index];
    if (const std::string* id = StringMember(call, "id")) {
      if (assembled.id.empty()) assembled.id = *id;
    }
    const Json* function = Member(call, "function");
    if (function == nullptr) continue;
    if (const std::string* name = StringMember(*function, "name")) {
      if (assembled.name.empty()) assembled.name = *name;
    }
    if (const Json* arguments = Member(*function, "arguments")) {
      std::optional<std::string> piece = ArgumentsText(*arguments);
      if (!piece.has_value()) {
        return NotUnderstood("tool call arguments are neither text nor object");
      }
      assembled.arguments_json += *piece;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ModelReply> StreamedReply::Finish() {
  if (!done_ && !finished_) {
    return NotUnderstood("the stream ended before the answer was complete");
  }
  ModelReply reply;
  reply.text = std::move(text_);
  for (auto& [index, call] : tool_calls_) {
    if (call.name.empty()) {
      return NotUnderstood("tool call without a function name");
    }
    reply.tool_calls.push_back(std::move(call));
  }
  tool_calls_.clear();
  return reply;
}

std::string LoggableErrorKind(absl::string_view body,
                              absl::string_view secret) {
  const Json answer = Parse(body);
  const Json* error = Member(answer, "error");
  if (error == nullptr) return "";
  const std::string* kind = StringMember(*error, "code");
  if (kind == nullptr) kind = StringMember(*error, "type");
  if (kind == nullptr || kind->empty() || kind->size() > kMaxErrorKindLength) {
    return "";
  }
  for (char c : *kind) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return "";
  }
  if (!secret.empty() &&
      (absl::StrContains(*kind, secret) || absl::StrContains(secret, *kind))) {
    return "";
  }
  return *kind;
}

}  // namespace bastion::runs
