#include "services/run_executor/tools/in_process_runner.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "absl/time/clock.h"
#include "common/log/log.h"
#include "services/run_executor/tools/await_call.h"

namespace bastion::runs {
namespace {

// One call, shared by the waiting caller and the tool's thread. std::mutex
// rather than absl::Mutex: ThreadSanitizer sees its locking (the system's
// Abseil is not instrumented).
struct Call {
  std::mutex mutex;
  std::condition_variable finished;
  // Guarded by `mutex`.
  bool done = false;
  // Set when the caller stopped waiting; the run's `cancelled` is never
  // called after that (the run may be gone). Guarded by `mutex`.
  bool abandoned = false;
  // Guarded by `mutex`.
  absl::StatusOr<ToolOutcome> result = absl::UnknownError("not run");
  std::function<bool()> run_cancelled;
  // The tool's own copies (the caller as it stood when the call began: the
  // tool's thread may outlive the run); `invocation` points at them.
  std::optional<FixedRunCaller> caller;
  RunScratch scratch;
  ToolInvocation invocation;
};

}  // namespace

absl::StatusOr<ToolOutcome> InvokeCatching(const Tool& tool,
                                           const ToolInvocation& invocation) {
  try {
    return tool.Invoke(invocation);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "tool_threw",
        {{"tool", tool.definition().name},
         {"run_id", invocation.run_id},
         {"error", e.what()}});
  } catch (...) {
    Log(LogLevel::kError, "tool_threw",
        {{"tool", tool.definition().name}, {"run_id", invocation.run_id}});
  }
  return absl::InternalError("the tool failed unexpectedly");
}

InProcessRunner::InProcessRunner(int max_in_flight)
    : max_in_flight_(max_in_flight),
      in_flight_(std::make_shared<std::atomic<int>>(0)) {}

absl::StatusOr<ToolOutcome> InProcessRunner::Run(
    std::shared_ptr<const Tool> tool, const ToolInvocation& invocation) const {
  if (in_flight_->fetch_add(1) >= max_in_flight_) {
    in_flight_->fetch_sub(1);
    return absl::ResourceExhaustedError(
        "too many tool calls in progress; try again later");
  }
  auto call = std::make_shared<Call>();
  call->run_cancelled = invocation.cancelled;
  call->invocation = invocation;
  if (invocation.caller != nullptr) {
    call->caller.emplace(invocation.caller->Current());
    call->invocation.caller = &*call->caller;
  }
  if (invocation.scratch != nullptr) {
    call->scratch = *invocation.scratch;
    call->invocation.scratch = &call->scratch;
  }
  // The thread owns `call`, so a raw pointer suffices here.
  call->invocation.cancelled = [raw = call.get()]() {
    std::lock_guard<std::mutex> lock(raw->mutex);
    return raw->abandoned || (raw->run_cancelled && raw->run_cancelled());
  };

  try {
    std::thread([tool, call, in_flight = in_flight_]() {
      absl::StatusOr<ToolOutcome> result = InvokeCatching(*tool, call->invocation);
      {
        std::lock_guard<std::mutex> lock(call->mutex);
        call->result = std::move(result);
        call->done = true;
      }
      call->finished.notify_all();
      in_flight->fetch_sub(1);
    }).detach();
  } catch (const std::system_error& e) {
    in_flight_->fetch_sub(1);
    Log(LogLevel::kError, "tool_thread_failed", {{"error", e.what()}});
    return absl::UnavailableError("cannot start the tool call");
  }

  const absl::Time deadline = invocation.deadline;
  std::unique_lock<std::mutex> lock(call->mutex);
  while (!call->done) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      call->abandoned = true;
      return absl::DeadlineExceededError("the tool did not finish in time");
    }
    call->finished.wait_for(
        lock, absl::ToChronoNanoseconds(std::min(deadline - now,
                                                 kCancelPollInterval)));
    if (!call->done && call->run_cancelled && call->run_cancelled()) {
      call->abandoned = true;
      return absl::CancelledError("cancelled");
    }
  }
  if (invocation.scratch != nullptr) *invocation.scratch = std::move(call->scratch);
  return std::move(call->result);
}

}  // namespace bastion::runs
