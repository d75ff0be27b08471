#include "services/run_executor/runs/live_runs.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace bastion::runs {

Subscription::Next Subscription::Wait(absl::Duration timeout,
                                      v1::RunEvent* event) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] {
    return lagged_ || finished_ || !queue_.empty();
  });
  if (lagged_) {
    lagged_ = false;
    return Next::kLagged;
  }
  if (!queue_.empty()) {
    *event = std::move(queue_.front());
    queue_.pop_front();
    return Next::kEvent;
  }
  return finished_ ? Next::kFinished : Next::kTimeout;
}

void Subscription::Push(const v1::RunEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  changed_.notify_all();
  if (queue_.size() >= capacity_) {
    // Dropped, not waited for: the follower reads them from data.
    queue_.clear();
    lagged_ = true;
    return;
  }
  queue_.push_back(event);
}

void Subscription::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  changed_.notify_all();
  finished_ = true;
}

std::shared_ptr<Subscription> LiveRun::Subscribe() {
  auto subscription = std::make_shared<Subscription>(stream_buffer_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) {
    subscription->Finish();
  } else {
    subscribers_.push_back(subscription);
  }
  return subscription;
}

void LiveRun::Publish(const v1::RunEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    if (std::shared_ptr<Subscription> subscriber = it->lock()) {
      subscriber->Push(event);
      ++it;
    } else {
      it = subscribers_.erase(it);
    }
  }
}

void LiveRun::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  for (const std::weak_ptr<Subscription>& weak : subscribers_) {
    if (std::shared_ptr<Subscription> subscriber = weak.lock()) {
      subscriber->Finish();
    }
  }
  subscribers_.clear();
}

void LiveRun::Cancel(std::string by) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cancelled_) return;
  cancelled_ = true;
  cancelled_by_ = std::move(by);
}

bool LiveRun::cancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_;
}

std::string LiveRun::cancelled_by() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cancelled_by_;
}

absl::Status LiveRuns::Add(std::shared_ptr<LiveRun> run, int max_per_principal,
                           int max_per_tenant) {
  std::lock_guard<std::mutex> lock(mutex_);
  int of_principal = 0;
  int of_tenant = 0;
  for (const auto& [id, live] : runs_) {
    if (live->tenant_id() != run->tenant_id()) continue;
    ++of_tenant;
    if (live->user_id() == run->user_id()) ++of_principal;
  }
  if (max_per_principal > 0 && of_principal >= max_per_principal) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "you already have ", of_principal, " runs in progress, the most allowed "
        "at once; wait for one to finish or cancel one"));
  }
  if (max_per_tenant > 0 && of_tenant >= max_per_tenant) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "your tenant already has ", of_tenant, " runs in progress, the most "
        "allowed at once; try again later"));
  }
  runs_[run->run_id()] = std::move(run);
  return absl::OkStatus();
}

void LiveRuns::Remove(const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  runs_.erase(run_id);
}

std::shared_ptr<LiveRun> LiveRuns::Find(const std::string& run_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = runs_.find(run_id);
  return found == runs_.end() ? nullptr : found->second;
}

std::vector<std::shared_ptr<LiveRun>> LiveRuns::All() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<LiveRun>> all;
  for (const auto& [id, run] : runs_) all.push_back(run);
  return all;
}

size_t LiveRuns::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return runs_.size();
}

}  // namespace bastion::runs
