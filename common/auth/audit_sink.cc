#include "common/auth/audit_sink.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"

namespace bastion {

QueuedAuditSink::QueuedAuditSink(Writer write, size_t capacity,
                                 size_t max_batch, absl::Duration flush_interval)
    : write_(std::move(write)),
      capacity_(capacity),
      max_batch_(max_batch),
      flush_interval_(flush_interval),
      thread_([this] { Run(); }) {}

QueuedAuditSink::~QueuedAuditSink() {
  Flush(absl::Seconds(2));
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
  }
  thread_.join();
}

void QueuedAuditSink::Record(AuditRecord record) {
  if (record.occurred_at_unix_micros == 0) {
    record.occurred_at_unix_micros = absl::ToUnixMicros(absl::Now());
  }
  absl::MutexLock lock(&mutex_);
  if (queue_.size() >= capacity_) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(record));
}

bool QueuedAuditSink::Flush(absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return queue_.empty() && in_flight_ == 0;
  };
  return mutex_.AwaitWithTimeout(absl::Condition(&drained), timeout);
}

uint64_t QueuedAuditSink::dropped() const {
  absl::MutexLock lock(&mutex_);
  return dropped_;
}

void QueuedAuditSink::Run() {
  uint64_t reported_drops = 0;
  while (true) {
    std::vector<AuditRecord> batch;
    {
      absl::MutexLock lock(&mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !queue_.empty();
      };
      mutex_.AwaitWithTimeout(absl::Condition(&ready), flush_interval_);
      if (stopping_ && queue_.empty()) return;
      const size_t n = std::min(max_batch_, queue_.size());
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + n));
      queue_.erase(queue_.begin(), queue_.begin() + n);
      in_flight_ = batch.size();
      if (dropped_ != reported_drops) {
        Log(LogLevel::kError, "audit_records_dropped",
            {{"total", absl::StrCat(dropped_)}});
        reported_drops = dropped_;
      }
    }
    if (batch.empty()) continue;
    const absl::Status written = write_(batch);
    absl::MutexLock lock(&mutex_);
    in_flight_ = 0;
    if (!written.ok()) {
      Log(LogLevel::kError, "audit_write_failed",
          {{"error", written.message()}, {"records", absl::StrCat(batch.size())}});
      if (stopping_) return;
      // Put the batch back in front while it fits; otherwise count it lost.
      if (queue_.size() + batch.size() <= capacity_) {
        queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
      } else {
        dropped_ += batch.size();
      }
      mutex_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1));
    }
  }
}

}  // namespace bastion
