#include "common/pg/pg_pool.h"

#include <utility>

namespace bastion::pg {

PgLease::PgLease(PgLease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      conn_(std::move(other.conn_)),
      discard_(other.discard_) {}

PgLease& PgLease::operator=(PgLease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::exchange(other.pool_, nullptr);
    conn_ = std::move(other.conn_);
    discard_ = other.discard_;
  }
  return *this;
}

PgLease::~PgLease() { Return(); }

void PgLease::Return() {
  if (pool_ != nullptr && conn_ != nullptr) {
    pool_->Release(std::move(conn_), discard_);
  }
  pool_ = nullptr;
  conn_.reset();
}

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {}

PgPool::~PgPool() = default;

absl::StatusOr<PgLease> PgPool::Acquire() {
  return Acquire(options_.acquire_timeout);
}

absl::StatusOr<PgLease> PgPool::Acquire(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::unique_ptr<PgConnection> idle;
    {
      absl::MutexLock lock(&mu_);
      while (idle_.empty() && open_ >= options_.max_size) {
        if (available_.WaitWithDeadline(&mu_, deadline) && idle_.empty() &&
            open_ >= options_.max_size) {
          return absl::UnavailableError("database busy: no free connection");
        }
      }
      if (idle_.empty()) {
        ++open_;  // Reserve the slot; connect without holding the lock.
        break;
      }
      idle = std::move(idle_.back());
      idle_.pop_back();
    }
    // Outside the lock: a connection the server closed while idle is
    // replaced, not handed out to fail the request.
    if (idle->CheckAlive()) return PgLease(this, std::move(idle));
    Release(std::move(idle), /*discard=*/true);
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> conn =
      PgConnection::Connect(options_.conninfo);
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    available_.Signal();
    return conn.status();
  }
  return PgLease(this, *std::move(conn));
}

void PgPool::Release(std::unique_ptr<PgConnection> conn, bool discard) {
  const bool reusable = !discard && conn->IsReusable();
  if (!reusable) conn.reset();  // Close outside the lock.
  absl::MutexLock lock(&mu_);
  if (reusable) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  available_.Signal();
}

int PgPool::OpenConnections() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

int PgPool::IdleConnections() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(idle_.size());
}

}  // namespace bastion::pg
