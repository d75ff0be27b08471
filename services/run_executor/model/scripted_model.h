// A deterministic model driven by the rules of a registry ScriptedModel: the
// same conversation always gets the same answer, and no network is used.
// Tests and the demo run agents, teams and workflows on it.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_MODEL_SCRIPTED_MODEL_H_
#define BASTION_SERVICES_RUN_EXECUTOR_MODEL_SCRIPTED_MODEL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/clock/clock.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/model/model.h"

namespace bastion::runs {

// How a rule is read (runs_config.proto, ScriptedRule, has the registry's
// wording):
//   input          the content of the last user message;
//   turn start     the last message is a user message;
//   last round     the tool messages at the end of the conversation;
//   a rule matches when input contains input_contains and either after_tool
//   is empty at a turn start, "*" after a round, or a tool name that
//   answered in the last round.
// The first matching rule answers, else the fallback reply ("{input}" when
// empty). Placeholders {input}, {tool_result} (the last message of the last
// round; when the rule's after_tool names a tool, that tool's last result)
// and {tool_results} (the round, one per line) are replaced in the
// reply and inside the JSON strings of tool-call arguments (so the
// arguments stay valid JSON whatever the text). Text put in is never
// expanded again. Tool calls get ids "call_<messages so far>_<n>", unique
// within a run because its conversation only grows.
// The reply is streamed to on_text word by word; cancellation and the
// deadline are checked before each word.
//
// Immutable after Create; thread-safe.
class ScriptedModel final : public Model {
 public:
  // INVALID_ARGUMENT when an arguments template is not a JSON object (the
  // registry rejects such specs first). `clock` must outlive the model.
  static absl::StatusOr<std::unique_ptr<ScriptedModel>> Create(
      const v1::ScriptedModel& spec, const Clock* clock);

  // CANCELLED or DEADLINE_EXCEEDED; otherwise always answers.
  absl::StatusOr<ModelReply> Complete(
      const ModelRequest& request,
      const ModelCallOptions& options) const override;

 private:
  struct ToolCallTemplate {
    std::string tool_name;
    nlohmann::json arguments;
  };
  struct Rule {
    std::string input_contains;
    std::string after_tool;
    std::string reply;
    std::vector<ToolCallTemplate> tool_calls;
  };

  ScriptedModel(std::vector<Rule> rules, std::string fallback_reply,
                absl::Duration word_delay, const Clock* clock);

  const std::vector<Rule> rules_;
  const std::string fallback_reply_;
  // Real time between streamed words (not the injected clock: a pause).
  const absl::Duration word_delay_;
  const Clock* const clock_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_MODEL_SCRIPTED_MODEL_H_
