// Request isolation: 100 runs of one agent at once, by 100 users, whose
// tools change the run's own state (RunScratch) and the user's memories.
// No run may see another's scratch, output, tool results or memories, and
// every run's events and spans name only itself.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/run_executor/engine/engine_test_support.h"
#include "services/run_executor/engine/run_engine.h"

namespace bastion::runs {
namespace {

using ::testing::HasSubstr;

constexpr int kRuns = 100;

// Two rounds of tool calls: the scratch tool twice plus a memory write,
// then the scratch tool and a memory search; then the answer quotes the
// second round's results.
constexpr char kRegistry[] = R"pb(
  models {
    name: "scripted:stateful"
    scripted {
      rules {
        tool_calls { tool_name: "current_time" arguments_json: '{"note": "{input}"}' }
        tool_calls { tool_name: "current_time" arguments_json: '{"note": "{input}"}' }
        tool_calls { tool_name: "memory_write" arguments_json: '{"text": "{input}"}' }
      }
      rules { after_tool: "memory_search" reply: "{input} || {tool_results}" }
      rules {
        after_tool: "current_time"
        tool_calls { tool_name: "current_time" arguments_json: '{"note": "{input}"}' }
        tool_calls { tool_name: "memory_search" arguments_json: '{}' }
      }
    }
  }
  agents {
    agent_id: "stateful"
    model: "scripted:stateful"
    tools { name: "current_time" }
    tools { name: "memory_write" }
    tools { name: "memory_search" }
  }
)pb";

// Counts its calls in the run's scratch and claims the scratch for the
// note it is given; a scratch already claimed by another note is a leak.
class ScratchTool final : public Tool {
 public:
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override {
    const nlohmann::json arguments =
        nlohmann::json::parse(invocation.arguments_json);
    const std::string note = arguments.at("note").get<std::string>();
    RunScratch& scratch = *invocation.scratch;
    const std::string owner = scratch["owner"];
    if (!owner.empty() && owner != note) {
      return ToolOutcome{absl::StrCat("LEAK: scratch of ", owner), true};
    }
    scratch["owner"] = note;
    const int count = scratch["count"].empty() ? 1 : std::stoi(scratch["count"]) + 1;
    scratch["count"] = std::to_string(count);
    // Give the other runs a chance to interleave.
    std::this_thread::yield();
    return ToolOutcome{absl::StrCat("count ", count, " of ", note), false};
  }

 private:
  const ToolDefinition definition_{"current_time", "scratch",
                                   R"({"type":"object"})"};
};

// Each user's memories, kept by the invocation's caller (as data does).
class MemoryStore {
 public:
  void Write(const std::string& user, const std::string& text) {
    std::lock_guard<std::mutex> lock(mutex_);
    memories_[user].push_back(text);
  }
  std::string Search(const std::string& user) {
    std::lock_guard<std::mutex> lock(mutex_);
    nlohmann::json found = memories_[user];
    return found.dump();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> memories_;
};

class MemoryTool final : public Tool {
 public:
  MemoryTool(std::shared_ptr<MemoryStore> store, bool write)
      : store_(std::move(store)),
        write_(write),
        definition_{write ? "memory_write" : "memory_search", "memories",
                    R"({"type":"object"})"} {}
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutcome> Invoke(
      const ToolInvocation& invocation) const override {
    const std::string user = invocation.caller->Current().principal.subject();
    if (write_) {
      store_->Write(user, nlohmann::json::parse(invocation.arguments_json)
                              .at("text")
                              .get<std::string>());
      return ToolOutcome{"stored", false};
    }
    return ToolOutcome{store_->Search(user), false};
  }

 private:
  const std::shared_ptr<MemoryStore> store_;
  const bool write_;
  const ToolDefinition definition_;
};

std::string Token(int i) { return absl::StrFormat("token-%03d", i); }

TEST(RunIsolationTest, HundredConcurrentRunsShareNothing) {
  auto store = std::make_shared<MemoryStore>();
  std::map<std::string, std::shared_ptr<const Tool>> tools = {
      {"current_time", std::make_shared<ScratchTool>()},
      {"memory_write", std::make_shared<MemoryTool>(store, /*write=*/true)},
      {"memory_search", std::make_shared<MemoryTool>(store, /*write=*/false)}};
  absl::StatusOr<EngineParts> parts =
      BuildEngine(kRegistry, std::move(tools), EngineOptions{});
  ASSERT_TRUE(parts.ok()) << parts.status();
  const RunEngine& engine = *parts->engine;

  std::vector<std::optional<FixedRunCaller>> callers(kRuns);
  std::vector<MemoryRecorder> recorders(kRuns);
  std::vector<RunOutcome> outcomes(kRuns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    Caller caller;
    caller.principal.set_subject(absl::StrCat("user-", i));
    caller.principal.set_tenant_id("acme");
    callers[i].emplace(std::move(caller));
    threads.emplace_back([&, i] {
      RunRequest request;
      request.caller = &*callers[i];
      request.run_id = absl::StrCat("run-", i);
      request.component_type = common::v1::COMPONENT_TYPE_AGENT;
      request.component_id = "stateful";
      request.input = Token(i);
      request.cancelled = [] { return false; };
      request.recorder = &recorders[i];
      outcomes[i] = engine.Execute(request);
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kRuns; ++i) {
    const std::string token = Token(i);
    ASSERT_EQ(outcomes[i].status, common::v1::RUN_STATUS_COMPLETED)
        << i << ": " << outcomes[i].error;
    // Its own scratch counted its own three calls; its memories are its
    // own.
    EXPECT_EQ(outcomes[i].output, absl::StrCat(token, " || count 3 of ", token,
                                               "\n[\"", token, "\"]"))
        << i;
    // Every event and span belongs to this run and names no other token.
    for (const v1::RunEvent& event : recorders[i].events()) {
      std::string text = event.DebugString();
      for (size_t at = text.find("token-"); at != std::string::npos;
           at = text.find("token-", at + 1)) {
        EXPECT_EQ(text.substr(at, token.size()), token) << i << ": " << text;
      }
      EXPECT_THAT(text, ::testing::Not(HasSubstr("LEAK")));
    }
    for (const data::v1::Span& span : recorders[i].spans()) {
      EXPECT_EQ(span.trace_id(), absl::StrCat("run-", i));
    }
  }
}

}  // namespace
}  // namespace bastion::runs
