// Test support for the run engine: an in-memory RunRecorder and a fixture
// that builds registry, models, tools and engine from one text-proto
// Registry.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_ENGINE_ENGINE_TEST_SUPPORT_H_
#define BASTION_SERVICES_RUN_EXECUTOR_ENGINE_ENGINE_TEST_SUPPORT_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/run_executor/engine/run_engine.h"
#include "services/run_executor/engine/run_recorder.h"

namespace bastion::runs {

// Keeps a run's events (numbered from 1) and spans. Thread-safe, so a test
// may read it while the run goes on.
class MemoryRecorder final : public RunRecorder {
 public:
  absl::Status Record(v1::RunEvent event) override;
  absl::Status RecordSpan(data::v1::Span span) override;
  // Keeps the call; the ids are "approval-1", "approval-2", ...
  absl::StatusOr<std::string> RequestApproval(const v1::ToolCall& call) override;

  std::vector<v1::RunEvent> events() const;
  std::vector<v1::ToolCall> approvals() const;
  std::vector<data::v1::Span> spans() const;
  // The payload case of each event, e.g. "started", "tool_call".
  std::vector<std::string> kinds() const;

  // From then on every Record fails with UNAVAILABLE.
  void FailFromNowOn();

 private:
  mutable std::mutex mutex_;
  std::vector<v1::RunEvent> events_;
  std::vector<data::v1::Span> spans_;
  std::vector<v1::ToolCall> approvals_;
  bool failing_ = false;
};

// A ToolGate answering from a map: tools named in `refused` are not
// allowed; those in `confirm` / `approve` need confirmation / approval;
// every other tool is allowed. Counts its checks. Thread-safe.
class MapToolGate final : public ToolGate {
 public:
  std::set<std::string> refused;
  std::set<std::string> confirm;
  std::set<std::string> approve;

  absl::StatusOr<ToolVerdict> Check(const Caller& owner,
                                    const std::string& run_id,
                                    const std::string& tool_name) const override;
  int checks() const { return checks_.load(); }

 private:
  mutable std::atomic<int> checks_{0};
};

// Registry, catalog, toolbox and engine of one registry text proto.
struct EngineParts {
  std::unique_ptr<AgentRegistry> registry;
  std::unique_ptr<ModelCatalog> models;
  std::unique_ptr<Toolbox> tools;
  std::unique_ptr<MapToolGate> gate;  // when BuildEngine made the gate
  std::unique_ptr<RunEngine> engine;
};

// `in_process_tools` replace built-ins of their names (ToolboxOptions).
// Without options.tool_gate, a gate allowing every tool is used.
absl::StatusOr<EngineParts> BuildEngine(
    const std::string& registry_text_proto,
    std::map<std::string, std::shared_ptr<const Tool>> in_process_tools,
    EngineOptions options);

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_ENGINE_ENGINE_TEST_SUPPORT_H_
