// The runs this replica is executing right now, and the streams following
// them. Each stream has a bounded buffer: a consumer that falls behind never
// blocks the run (or other runs); it is told it lagged and reads the missed
// events back from data, where every event is stored before it is
// published.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_LIVE_RUNS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_LIVE_RUNS_H_

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bastion/runs/v1/runs.pb.h"

namespace bastion::runs {

// One follower of a live run. Thread-safe: the run publishes, one stream
// reads.
class Subscription {
 public:
  explicit Subscription(size_t capacity) : capacity_(capacity) {}

  enum class Next {
    kEvent,     // *event is the next published event
    kLagged,    // events were dropped: read them back from data
    kFinished,  // the run ended here; nothing more will be published
    kTimeout,   // nothing within the timeout
  };
  Next Wait(absl::Duration timeout, v1::RunEvent* event);

  // Called by LiveRun.
  void Push(const v1::RunEvent& event);
  void Finish();

 private:
  const size_t capacity_;
  // std::mutex (here and below): ThreadSanitizer sees its synchronization
  // (Debian's Abseil is not instrumented).
  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_.
  std::deque<v1::RunEvent> queue_;
  bool lagged_ = false;
  bool finished_ = false;
};

// A run executing on this replica. Thread-safe.
class LiveRun {
 public:
  LiveRun(std::string run_id, std::string tenant_id, std::string user_id,
          size_t stream_buffer)
      : run_id_(std::move(run_id)),
        tenant_id_(std::move(tenant_id)),
        user_id_(std::move(user_id)),
        stream_buffer_(stream_buffer) {}

  const std::string& run_id() const { return run_id_; }
  const std::string& tenant_id() const { return tenant_id_; }
  const std::string& user_id() const { return user_id_; }

  // A new follower; it sees every event published from now on (already
  // finished: it is finished at once).
  std::shared_ptr<Subscription> Subscribe();
  // Hands a stored event to every follower; never blocks on them.
  void Publish(const v1::RunEvent& event);
  // The run ended: followers are told, no more events come.
  void Finish();

  // Asks the run to stop (at its next step).
  void Cancel(std::string by);
  bool cancelled() const;
  std::string cancelled_by() const;

 private:
  const std::string run_id_;
  const std::string tenant_id_;
  const std::string user_id_;
  const size_t stream_buffer_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::vector<std::weak_ptr<Subscription>> subscribers_;
  bool finished_ = false;
  bool cancelled_ = false;
  std::string cancelled_by_;
};

// Every live run of this replica by id, with counts for the concurrency
// limits. Thread-safe.
class LiveRuns {
 public:
  // Adds `run` unless its owner already has `max_per_principal` or its
  // tenant `max_per_tenant` live runs here: RESOURCE_EXHAUSTED saying which
  // limit (0 = unlimited).
  absl::Status Add(std::shared_ptr<LiveRun> run, int max_per_principal,
                   int max_per_tenant);
  void Remove(const std::string& run_id);
  // Null when the run is not executing here.
  std::shared_ptr<LiveRun> Find(const std::string& run_id) const;
  // Every live run (for shutdown).
  std::vector<std::shared_ptr<LiveRun>> All() const;
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::map<std::string, std::shared_ptr<LiveRun>> runs_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_LIVE_RUNS_H_
