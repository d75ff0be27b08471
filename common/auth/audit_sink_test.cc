// Tests the queued audit sink: records reach the writer in batches, a full
// queue drops (counted) instead of blocking, failed writes are retried.
#include "common/auth/audit_sink.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace bastion {
namespace {

AuditRecord Denial(int i) {
  AuditRecord record;
  record.tenant_id = "t1";
  record.user_id = "u" + std::to_string(i);
  record.action = "denied.permission";
  return record;
}

TEST(QueuedAuditSinkTest, RecordsReachTheWriterInBatches) {
  absl::Mutex mutex;
  std::vector<AuditRecord> written;
  size_t largest_batch = 0;
  {
    QueuedAuditSink sink(
        [&](const std::vector<AuditRecord>& batch) {
          absl::MutexLock lock(&mutex);
          written.insert(written.end(), batch.begin(), batch.end());
          largest_batch = std::max(largest_batch, batch.size());
          return absl::OkStatus();
        },
        /*capacity=*/1000, /*max_batch=*/10, absl::Milliseconds(5));
    for (int i = 0; i < 35; ++i) sink.Record(Denial(i));
    ASSERT_TRUE(sink.Flush(absl::Seconds(10)));
    EXPECT_EQ(sink.dropped(), 0u);
  }
  absl::MutexLock lock(&mutex);
  ASSERT_EQ(written.size(), 35u);
  EXPECT_LE(largest_batch, 10u);
  EXPECT_EQ(written[0].user_id, "u0");
  EXPECT_GT(written[0].occurred_at_unix_micros, 0);
}

TEST(QueuedAuditSinkTest, FullQueueDropsInsteadOfBlocking) {
  absl::Notification release;
  std::atomic<int> written{0};
  QueuedAuditSink sink(
      [&](const std::vector<AuditRecord>& batch) {
        release.WaitForNotification();
        written += static_cast<int>(batch.size());
        return absl::OkStatus();
      },
      /*capacity=*/5, /*max_batch=*/1, absl::Milliseconds(1));
  for (int i = 0; i < 100; ++i) sink.Record(Denial(i));  // never blocks
  EXPECT_GE(sink.dropped(), 90u);
  release.Notify();
  ASSERT_TRUE(sink.Flush(absl::Seconds(10)));
  EXPECT_EQ(static_cast<uint64_t>(written) + sink.dropped(), 100u);
}

TEST(QueuedAuditSinkTest, FailedWritesAreRetried) {
  std::atomic<int> attempts{0};
  std::atomic<int> written{0};
  QueuedAuditSink sink(
      [&](const std::vector<AuditRecord>& batch) {
        if (attempts++ == 0) return absl::UnavailableError("store down");
        written += static_cast<int>(batch.size());
        return absl::OkStatus();
      },
      /*capacity=*/100, /*max_batch=*/100, absl::Milliseconds(1));
  sink.Record(Denial(1));
  ASSERT_TRUE(sink.Flush(absl::Seconds(10)));
  EXPECT_EQ(written, 1);
  EXPECT_GE(attempts, 2);
}

}  // namespace
}  // namespace bastion
