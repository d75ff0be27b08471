#include "services/run_executor/tools/await_call.h"

#include <condition_variable>
#include <mutex>

namespace bastion::runs {

grpc::Status AwaitUnaryCall(
    grpc::ClientContext* context, absl::Time deadline,
    const std::function<bool()>& cancelled,
    const std::function<void(std::function<void(grpc::Status)>)>& start) {
  if (deadline != absl::InfiniteFuture()) {
    context->set_deadline(absl::ToChronoTime(deadline));
  }
  // std::mutex rather than absl's: ThreadSanitizer sees its locking (the
  // system's Abseil is not instrumented).
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  grpc::Status result;
  start([&](grpc::Status status) {
    std::lock_guard<std::mutex> lock(mutex);
    result = std::move(status);
    done = true;
    finished.notify_all();
  });
  bool cancel_sent = false;
  std::unique_lock<std::mutex> lock(mutex);
  while (!finished.wait_for(lock, absl::ToChronoNanoseconds(kCancelPollInterval),
                            [&done] { return done; })) {
    if (!cancel_sent && cancelled) {
      lock.unlock();
      const bool stop = cancelled();
      if (stop) context->TryCancel();  // the callback follows promptly
      cancel_sent = stop;
      lock.lock();
    }
  }
  return result;
}

}  // namespace bastion::runs
