// A bounded, thread-safe pool of PgConnections with RAII leases.
#ifndef BASTION_COMMON_PG_PG_POOL_H_
#define BASTION_COMMON_PG_PG_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/pg/pg_connection.h"

namespace bastion::pg {

struct PgPoolOptions {
  // libpq conninfo, e.g. "host=/run/pg port=5432 dbname=bastion
  // user=bastion_data_svc connect_timeout=5".
  std::string conninfo;
  // Most connections open at once (idle + leased).
  int max_size = 8;
  // How long Acquire() waits for a free connection by default.
  absl::Duration acquire_timeout = absl::Seconds(5);
};

class PgPool;

// Exclusive use of one pooled connection; returns it on destruction.
// Move-only; not thread-safe (one holder).
class PgLease {
 public:
  PgLease(PgLease&& other) noexcept;
  PgLease& operator=(PgLease&& other) noexcept;
  PgLease(const PgLease&) = delete;
  PgLease& operator=(const PgLease&) = delete;
  ~PgLease();

  PgConnection& operator*() const { return *conn_; }
  PgConnection* operator->() const { return conn_.get(); }

  // Makes the pool close the connection instead of reusing it.
  void Discard() { discard_ = true; }

 private:
  friend class PgPool;
  PgLease(PgPool* pool, std::unique_ptr<PgConnection> conn)
      : pool_(pool), conn_(std::move(conn)) {}
  void Return();

  PgPool* pool_ = nullptr;
  std::unique_ptr<PgConnection> conn_;
  bool discard_ = false;
};

// Thread-safe. Connections are opened lazily up to max_size; a returned
// connection is reused only if it is up, idle and out of pipeline mode (no
// open transaction can travel to the next request), otherwise it is closed
// and its slot freed so the next Acquire() reconnects. The pool must outlive
// its leases.
class PgPool {
 public:
  explicit PgPool(PgPoolOptions options);
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;
  ~PgPool();

  // Waits up to the default timeout. UNAVAILABLE when no connection could be
  // had in time or the database cannot be reached.
  absl::StatusOr<PgLease> Acquire();
  absl::StatusOr<PgLease> Acquire(absl::Duration timeout);

  // Connections currently open (idle + leased), for tests and metrics.
  int OpenConnections() const;
  int IdleConnections() const;

 private:
  friend class PgLease;
  void Release(std::unique_ptr<PgConnection> conn, bool discard);

  const PgPoolOptions options_;
  mutable absl::Mutex mu_;
  absl::CondVar available_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  // Idle + leased + being opened.
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace bastion::pg

#endif  // BASTION_COMMON_PG_PG_POOL_H_
