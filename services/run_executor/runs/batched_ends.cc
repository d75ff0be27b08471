#include "services/run_executor/runs/batched_ends.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "common/log/log.h"

namespace bastion::runs {
namespace {

void LogNotEnded(const std::string& delegation_id, absl::StatusCode code) {
  Log(LogLevel::kWarning, "run_delegation_not_ended",
      {{"delegation_id", delegation_id},
       {"code", absl::StatusCodeToString(code)}});
}

class BatchedEnds final : public DelegationClient {
 public:
  BatchedEnds(std::unique_ptr<DelegationClient> inner,
              BatchedEndsOptions options)
      : inner_(std::move(inner)),
        options_(options),
        sender_([this] { SendQueued(); }) {}

  ~BatchedEnds() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    sender_.join();
  }

  absl::Status End(const std::string& delegation_id) override {
    bool wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const bool first = queue_.empty();
      if (first) oldest_ = absl::Now();
      queue_.push_back(delegation_id);
      // The sender learns when the first id is due, and when a batch is
      // full.
      wake = first || queue_.size() == options_.batch;
    }
    if (wake) wake_.notify_all();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<std::string>& delegation_ids) override {
    return inner_->EndMany(delegation_ids);
  }

  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) override {
    return inner_->ExchangeForRun(owner, run_id);
  }

  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) override {
    return inner_->Renew(delegation_id);
  }

  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) override {
    return inner_->ExchangeForSchedule(owner, schedule_id);
  }

  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) override {
    return inner_->ExchangeScheduleForRun(grant_id, run_id);
  }

  absl::Status EndScheduleGrant(const std::string& grant_id) override {
    return inner_->EndScheduleGrant(grant_id);
  }

 private:
  // The sender thread: waits until a batch is due, sends it, and returns
  // once stopping with nothing queued.
  void SendQueued() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      if (queue_.empty()) {
        if (stopping_) return;
        wake_.wait(lock);
        continue;
      }
      if (!stopping_ && queue_.size() < options_.batch) {
        const absl::Time due = oldest_ + options_.delay;
        if (absl::Now() < due) {
          wake_.wait_until(lock, absl::ToChronoTime(due));
          continue;
        }
      }
      // The ids left behind have waited as long: they are due at once.
      const size_t count = std::min(queue_.size(), options_.batch);
      std::vector<std::string> ids(queue_.begin(), queue_.begin() + count);
      queue_.erase(queue_.begin(), queue_.begin() + count);
      lock.unlock();
      Send(ids);
      lock.lock();
    }
  }

  // One batch, retried while authn cannot be reached.
  void Send(const std::vector<std::string>& ids) {
    for (int attempt = 1;; ++attempt) {
      absl::StatusOr<std::vector<std::string>> ended = inner_->EndMany(ids);
      if (ended.ok()) {
        const absl::flat_hash_set<std::string> done(ended->begin(),
                                                    ended->end());
        for (const std::string& id : ids) {
          if (!done.contains(id)) LogNotEnded(id, absl::StatusCode::kNotFound);
        }
        return;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      if (attempt >= options_.attempts || stopping_ ||
          !absl::IsUnavailable(ended.status())) {
        for (const std::string& id : ids) {
          LogNotEnded(id, ended.status().code());
        }
        return;
      }
      wake_.wait_for(lock, absl::ToChronoMilliseconds(options_.retry_interval),
                     [this] { return stopping_; });
    }
  }

  const std::unique_ptr<DelegationClient> inner_;
  const BatchedEndsOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Guarded by mutex_.
  std::deque<std::string> queue_;
  absl::Time oldest_;
  bool stopping_ = false;
  // Last: started once everything above is ready.
  std::thread sender_;
};

}  // namespace

std::unique_ptr<DelegationClient> BatchEnds(
    std::unique_ptr<DelegationClient> inner, BatchedEndsOptions options) {
  return std::make_unique<BatchedEnds>(std::move(inner), options);
}

}  // namespace bastion::runs
