// The `memory_search` and `memory_write` built-in tools: the run owner's own
// memories, listed and created through data's Memories service as that
// owner (the forwarded assertion), never as this service alone.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_MEMORY_TOOLS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_MEMORY_TOOLS_H_

#include <cstddef>
#include <memory>

#include <grpcpp/grpcpp.h>

#include "bastion/data/v1/data.grpc.pb.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// Both tools: each call carries the invocation's caller assertion
// (ForwardCaller) on `data`, a channel made by ChannelFactory, which also
// attaches this service's identity; data authenticates and authorizes the
// owner and scopes every row to it. A call without a caller assertion is
// refused before anything is sent (FAILED_PRECONDITION). data's refusals
// (invalid input, permission, rate limit) are error results; data
// unreachable is UNAVAILABLE. Thread-safe: one instance serves every run.

// Arguments {"query"?: string, "topic"?: string, "limit"?: 1..50 (default
// 10)}: the owner's memories whose text contains `query` (case-insensitive)
// and that carry `topic`, newest first. Result {"memories": [{"memory_id",
// "text", "topics", "created_at"}], "truncated": bool}: memories are left
// out (truncated) rather than exceeding `max_result_bytes`.
class MemorySearchTool final : public Tool {
 public:
  MemorySearchTool(std::shared_ptr<grpc::Channel> data, size_t max_result_bytes);
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override;

 private:
  const std::unique_ptr<data::v1::Memories::Stub> stub_;
  const size_t max_result_bytes_;
  const ToolDefinition definition_;
};

// Arguments {"text": string (1..16384 characters), "topics"?: [string]
// (at most 32, each at most 128 characters)}: stores one memory owned by
// the run's owner. Result {"memory_id": "..."}.
class MemoryWriteTool final : public Tool {
 public:
  explicit MemoryWriteTool(std::shared_ptr<grpc::Channel> data);
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override;

 private:
  const std::unique_ptr<data::v1::Memories::Stub> stub_;
  const ToolDefinition definition_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_MEMORY_TOOLS_H_
