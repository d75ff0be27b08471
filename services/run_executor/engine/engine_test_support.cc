#include "services/run_executor/engine/engine_test_support.h"

#include <string>
#include <utility>

#include "google/protobuf/text_format.h"

namespace bastion::runs {

absl::Status MemoryRecorder::Record(v1::RunEvent event) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failing_) return absl::UnavailableError("data unavailable");
  event.set_seq(static_cast<int64_t>(events_.size()) + 1);
  events_.push_back(std::move(event));
  return absl::OkStatus();
}

absl::Status MemoryRecorder::RecordSpan(data::v1::Span span) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failing_) return absl::UnavailableError("data unavailable");
  spans_.push_back(std::move(span));
  return absl::OkStatus();
}

absl::StatusOr<std::string> MemoryRecorder::RequestApproval(
    const v1::ToolCall& call) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (failing_) return absl::UnavailableError("data unavailable");
  approvals_.push_back(call);
  return "approval-" + std::to_string(approvals_.size());
}

std::vector<v1::ToolCall> MemoryRecorder::approvals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return approvals_;
}

absl::StatusOr<ToolVerdict> MapToolGate::Check(const Caller&,
                                               const std::string&,
                                               const std::string& tool_name) const {
  checks_.fetch_add(1);
  ToolVerdict verdict;
  verdict.allowed = refused.count(tool_name) == 0;
  verdict.reason = verdict.allowed ? "allowed" : "not an allowed tool";
  verdict.requires_confirmation = confirm.count(tool_name) > 0;
  verdict.requires_approval = approve.count(tool_name) > 0;
  return verdict;
}

std::vector<v1::RunEvent> MemoryRecorder::events() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return events_;
}

std::vector<data::v1::Span> MemoryRecorder::spans() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return spans_;
}

std::vector<std::string> MemoryRecorder::kinds() const {
  std::vector<std::string> kinds;
  for (const v1::RunEvent& event : events()) {
    const google::protobuf::FieldDescriptor* field =
        event.GetReflection()->GetOneofFieldDescriptor(
            event, v1::RunEvent::descriptor()->FindOneofByName("event"));
    kinds.push_back(field == nullptr ? "none" : field->name());
  }
  return kinds;
}

void MemoryRecorder::FailFromNowOn() {
  std::lock_guard<std::mutex> lock(mutex_);
  failing_ = true;
}

absl::StatusOr<EngineParts> BuildEngine(
    const std::string& registry_text_proto,
    std::map<std::string, std::shared_ptr<const Tool>> in_process_tools,
    EngineOptions options) {
  v1::Registry registry;
  if (!google::protobuf::TextFormat::ParseFromString(registry_text_proto,
                                                     &registry)) {
    return absl::InvalidArgumentError("registry text proto does not parse");
  }
  EngineParts parts;
  absl::StatusOr<AgentRegistry> agents = AgentRegistry::Create(registry);
  if (!agents.ok()) return agents.status();
  parts.registry = std::make_unique<AgentRegistry>(*std::move(agents));
  absl::StatusOr<std::unique_ptr<ModelCatalog>> models = ModelCatalog::Create(
      registry, [](absl::string_view) { return std::nullopt; }, options.clock);
  if (!models.ok()) return models.status();
  parts.models = *std::move(models);
  ToolboxOptions tool_options;
  tool_options.clock = options.clock;
  tool_options.in_process_tools = std::move(in_process_tools);
  absl::StatusOr<std::unique_ptr<Toolbox>> tools =
      Toolbox::Create(parts.registry->agents(), std::move(tool_options));
  if (!tools.ok()) return tools.status();
  parts.tools = *std::move(tools);
  if (options.tool_gate == nullptr) {
    parts.gate = std::make_unique<MapToolGate>();
    options.tool_gate = parts.gate.get();
  }
  parts.engine = std::make_unique<RunEngine>(
      parts.registry.get(), parts.models.get(), parts.tools.get(), options);
  return parts;
}

}  // namespace bastion::runs
