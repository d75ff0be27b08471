#include "services/run_executor/model/scripted_model.h"

#include <iterator>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"

namespace bastion::runs {
namespace {

using Role = ChatMessage::Role;

// What the rules look at, read once per call.
struct Conversation {
  absl::string_view input;
  bool turn_start = false;
  // The tool messages at the end of the conversation, in order.
  std::vector<const ChatMessage*> last_round;
};

Conversation Read(const std::vector<ChatMessage>& messages) {
  Conversation conversation;
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role == Role::kUser) {
      conversation.input = it->content;
      break;
    }
  }
  conversation.turn_start =
      !messages.empty() && messages.back().role == Role::kUser;
  auto first_tool = messages.end();
  while (first_tool != messages.begin() &&
         std::prev(first_tool)->role == Role::kTool) {
    --first_tool;
  }
  for (auto it = first_tool; it != messages.end(); ++it) {
    conversation.last_round.push_back(&*it);
  }
  return conversation;
}

// Replaces the placeholders in one pass: inserted text is never expanded.
class Placeholders {
 public:
  // `after_tool` of the answering rule: a tool name picks that tool's last
  // result as {tool_result}.
  Placeholders(const Conversation& conversation, absl::string_view after_tool)
      : input_(conversation.input) {
    std::vector<absl::string_view> results;
    for (const ChatMessage* message : conversation.last_round) {
      results.push_back(message->content);
      if (after_tool.empty() || after_tool == "*" ||
          message->tool_name == after_tool) {
        tool_result_ = message->content;
      }
    }
    tool_results_ = absl::StrJoin(results, "\n");
  }

  std::string Fill(absl::string_view text) const {
    return absl::StrReplaceAll(text, {{"{input}", input_},
                                      {"{tool_result}", tool_result_},
                                      {"{tool_results}", tool_results_}});
  }

  // Fills every string value of a JSON template; serializing the result
  // escapes whatever was put in.
  nlohmann::json FillJson(const nlohmann::json& value) const {
    if (value.is_string()) {
      return Fill(value.get_ref<const std::string&>());
    }
    if (value.is_object() || value.is_array()) {
      nlohmann::json filled = value;
      for (auto& element : filled) element = FillJson(element);
      return filled;
    }
    return value;
  }

 private:
  absl::string_view input_;
  absl::string_view tool_result_;
  std::string tool_results_;
};

// "Hello, big world" -> "Hello, " "big " "world": each piece a word with
// the blanks around it, so the pieces join back to the text exactly.
std::vector<absl::string_view> Words(absl::string_view text) {
  std::vector<absl::string_view> words;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = begin;
    while (end < text.size() && absl::ascii_isspace(text[end])) ++end;
    while (end < text.size() && !absl::ascii_isspace(text[end])) ++end;
    while (end < text.size() && absl::ascii_isspace(text[end])) ++end;
    words.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return words;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScriptedModel>> ScriptedModel::Create(
    const v1::ScriptedModel& spec, const Clock* clock) {
  std::vector<Rule> rules;
  for (const v1::ScriptedRule& rule_spec : spec.rules()) {
    Rule rule{rule_spec.input_contains(), rule_spec.after_tool(),
              rule_spec.reply(), {}};
    for (const v1::ScriptedToolCall& call : rule_spec.tool_calls()) {
      nlohmann::json arguments =
          call.arguments_json().empty()
              ? nlohmann::json::object()
              : nlohmann::json::parse(call.arguments_json(), /*cb=*/nullptr,
                                      /*allow_exceptions=*/false);
      if (!arguments.is_object()) {
        return absl::InvalidArgumentError(
            absl::StrCat("scripted tool call \"", call.tool_name(),
                         "\": arguments_json is not a JSON object"));
      }
      rule.tool_calls.push_back({call.tool_name(), std::move(arguments)});
    }
    rules.push_back(std::move(rule));
  }
  const std::string fallback =
      spec.fallback_reply().empty() ? "{input}" : spec.fallback_reply();
  return std::unique_ptr<ScriptedModel>(
      new ScriptedModel(std::move(rules), fallback,
                        absl::Milliseconds(spec.word_delay_ms()), clock));
}

ScriptedModel::ScriptedModel(std::vector<Rule> rules,
                             std::string fallback_reply,
                             absl::Duration word_delay, const Clock* clock)
    : rules_(std::move(rules)),
      fallback_reply_(std::move(fallback_reply)),
      word_delay_(word_delay),
      clock_(clock) {}

absl::StatusOr<ModelReply> ScriptedModel::Complete(
    const ModelRequest& request, const ModelCallOptions& options) const {
  const Conversation conversation = Read(request.messages);
  const Rule* chosen = nullptr;
  for (const Rule& rule : rules_) {
    if (!absl::StrContains(conversation.input, rule.input_contains)) continue;
    bool after_ok = false;
    if (rule.after_tool.empty()) {
      after_ok = conversation.turn_start;
    } else if (rule.after_tool == "*") {
      after_ok = !conversation.last_round.empty();
    } else {
      for (const ChatMessage* result : conversation.last_round) {
        after_ok = after_ok || result->tool_name == rule.after_tool;
      }
    }
    if (after_ok) {
      chosen = &rule;
      break;
    }
  }

  const Placeholders placeholders(
      conversation, chosen != nullptr ? chosen->after_tool : "");
  ModelReply reply;
  reply.text = placeholders.Fill(chosen != nullptr ? chosen->reply
                                                   : fallback_reply_);
  if (chosen != nullptr) {
    for (const ToolCallTemplate& call : chosen->tool_calls) {
      reply.tool_calls.push_back(
          {absl::StrCat("call_", request.messages.size(), "_",
                        reply.tool_calls.size() + 1),
           call.tool_name,
           placeholders.FillJson(call.arguments)
               .dump(/*indent=*/-1, /*indent_char=*/' ',
                     /*ensure_ascii=*/false,
                     nlohmann::json::error_handler_t::replace)});
    }
  }

  // Streamed word by word so that callers exercise their streaming path;
  // an empty reply still checks once.
  std::vector<absl::string_view> words = Words(reply.text);
  if (words.empty()) words.push_back("");
  for (size_t i = 0; i < words.size(); ++i) {
    const absl::string_view word = words[i];
    if (i > 0 && word_delay_ > absl::ZeroDuration()) {
      absl::SleepFor(word_delay_);
    }
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError("model call cancelled");
    }
    if (clock_->Now() >= options.deadline) {
      return absl::DeadlineExceededError("model call ran out of time");
    }
    if (!word.empty() && options.on_text) options.on_text(word);
  }
  return reply;
}

}  // namespace bastion::runs
