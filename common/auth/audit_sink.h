// Where call guards send what must be audited (every denial), without ever
// making the call wait for it: records are queued, bounded, and written in
// batches by a background thread.
#ifndef BASTION_COMMON_AUTH_AUDIT_SINK_H_
#define BASTION_COMMON_AUTH_AUDIT_SINK_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bastion {

// One audit event, as the guard knows it.
struct AuditRecord {
  // The actor: tenant and subject of the caller (kUnauthenticatedTenant /
  // kAnonymousUser when there was no valid credential).
  std::string tenant_id;
  std::string user_id;
  // e.g. "denied.permission", "denied.unauthenticated".
  std::string action;
  std::string resource;
  std::string resource_id;
  // "/package.Service/Method".
  std::string method;
  // Why (caller-safe; never a credential).
  std::string reason;
  int64_t occurred_at_unix_micros = 0;
};

inline constexpr char kUnauthenticatedTenant[] = "_unauthenticated";
inline constexpr char kAnonymousUser[] = "anonymous";

// Seam of the call guard. Record never blocks and never fails the call.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(AuditRecord record) = 0;
};

// A bounded queue drained by one background thread that hands batches to
// `write`. When the queue is full (a flood of bad requests, or the audit
// store down), new records are dropped and counted — the caller is never
// slowed — and the count is logged. Failed batches are retried after a
// pause while they fit. Thread-safe; the destructor flushes what it can.
class QueuedAuditSink final : public AuditSink {
 public:
  using Writer = std::function<absl::Status(const std::vector<AuditRecord>&)>;

  QueuedAuditSink(Writer write, size_t capacity = 10000,
                  size_t max_batch = 500,
                  absl::Duration flush_interval = absl::Milliseconds(200));
  ~QueuedAuditSink() override;

  void Record(AuditRecord record) override;

  // For tests and shutdown: waits until the queue is empty or `timeout`.
  bool Flush(absl::Duration timeout);
  uint64_t dropped() const;

 private:
  void Run();

  const Writer write_;
  const size_t capacity_;
  const size_t max_batch_;
  const absl::Duration flush_interval_;
  mutable absl::Mutex mutex_;
  std::deque<AuditRecord> queue_ ABSL_GUARDED_BY(mutex_);
  size_t in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_AUDIT_SINK_H_
