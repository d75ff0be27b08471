#include "services/run_executor/tools/await_call.h"

#include "absl/synchronization/notification.h"

namespace bastion::runs {

grpc::Status AwaitUnaryCall(
    grpc::ClientContext* context, absl::Time deadline,
    const std::function<bool()>& cancelled,
    const std::function<void(std::function<void(grpc::Status)>)>& start) {
  if (deadline != absl::InfiniteFuture()) {
    context->set_deadline(absl::ToChronoTime(deadline));
  }
  absl::Notification done;
  grpc::Status result;
  start([&done, &result](grpc::Status status) {
    result = std::move(status);
    done.Notify();
  });
  bool cancel_sent = false;
  while (!done.WaitForNotificationWithTimeout(kCancelPollInterval)) {
    if (!cancel_sent && cancelled && cancelled()) {
      context->TryCancel();
      cancel_sent = true;  // the callback follows promptly
    }
  }
  return result;
}

}  // namespace bastion::runs
