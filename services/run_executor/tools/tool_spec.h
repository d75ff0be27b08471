// The rules for ToolSpecs in the registry: which names are built-in, the
// defaults and bounds of timeouts and result sizes, and the validation the
// registry runs at startup.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_SPEC_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_SPEC_H_

#include <cstddef>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bastion/runs/v1/runs.pb.h"

namespace bastion::runs {

// The tools a ToolSpec with an empty endpoint may name.
inline constexpr const char* kBuiltinToolNames[] = {
    "calculator", "current_time", "memory_search", "memory_write"};

// timeout_ms: 0 means the default; at most the maximum.
inline constexpr int kDefaultToolTimeoutMs = 10 * 1000;
inline constexpr int kMaxToolTimeoutMs = 10 * 60 * 1000;
// max_result_bytes: 0 means the default; at most the maximum (a tool
// server's answer above 4 MiB is refused by the channel anyway).
inline constexpr int kDefaultMaxResultBytes = 64 * 1024;
inline constexpr int kMaxResultBytesLimit = 1024 * 1024;

// Most user_input_fields of one tool.
inline constexpr int kMaxUserInputFields = 16;

bool IsBuiltinTool(absl::string_view name);

// The spec's timeout and size cap, defaults applied.
absl::Duration ToolTimeout(const v1::ToolSpec& spec);
size_t MaxResultBytes(const v1::ToolSpec& spec);

// Checks every tool of `agent`; INVALID_ARGUMENT naming the agent and the
// tool for: a name outside [A-Za-z0-9_-]{1,64} (what model APIs accept), a
// name listed twice, an empty endpoint with a name that is neither a
// built-in nor in `in_process` (the registry passes none) unless the tool is
// external_execution (which must have no endpoint), an endpoint
// with blanks or control characters or over 255 characters, a negative or
// too large timeout_ms or max_result_bytes, a parameters schema that
// JsonSchema refuses, audit_confirmation with requires_approval, or
// user_input_fields that are more than kMaxUserInputFields, repeated, not
// properties of the schema, or combined with requires_approval or
// external_execution.
absl::Status ValidateAgentTools(const v1::Agent& agent,
                                const std::set<std::string>& in_process = {});

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_TOOL_SPEC_H_
