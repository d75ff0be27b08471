// A KeySource backed by a JWKS file that rotates without a restart: at most
// once per refresh interval (measured on the injected Clock) the file is
// stat()ed, and re-read and re-parsed only when its inode, size, mtime or
// content changed. During a rotation old and new keys both verify as long as
// both are in the file. A bad new file keeps the previous keys (and is
// reported via last_error()); a missing or bad file at Create() is an error
// so the service refuses to start. Unknown kids never trigger a re-read.
#ifndef BASTION_SERVICES_AUTHN_JWT_JWKS_FILE_SOURCE_H_
#define BASTION_SERVICES_AUTHN_JWT_JWKS_FILE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "services/authn/jwt/jwks.h"
#include "services/authn/jwt/key_set.h"

namespace bastion::authn::jwt {

struct JwksFileOptions {
  std::string path;
  absl::Duration refresh_interval = absl::Seconds(5);
  JwksOptions jwks;
};

// Thread-safe. Current() is cheap except for the one call per interval that
// performs the stat (and, on change, the read and parse).
class JwksFileSource final : public KeySource {
 public:
  // `clock` must outlive the source.
  static absl::StatusOr<std::unique_ptr<JwksFileSource>> Create(
      JwksFileOptions options, const Clock* clock);

  std::shared_ptr<const KeySet> Current() const override;

  // Observability (and tests): how often the file was stat()ed / read /
  // successfully re-parsed into a new key set, and the last reload error.
  int64_t stat_count() const;
  int64_t read_count() const;
  int64_t reload_count() const;
  absl::Status last_error() const;

 private:
  struct FileIdentity {
    uint64_t dev = 0, ino = 0;
    int64_t size = -1, mtime_ns = 0;
    bool operator==(const FileIdentity& o) const {
      return dev == o.dev && ino == o.ino && size == o.size &&
             mtime_ns == o.mtime_ns;
    }
  };

  JwksFileSource(JwksFileOptions options, const Clock* clock)
      : options_(std::move(options)), clock_(clock) {}

  // Stats and, if needed, reloads. Called without mu_ held by one thread.
  void Refresh() const;

  const JwksFileOptions options_;
  const Clock* const clock_;

  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time next_check_ ABSL_GUARDED_BY(mu_);
  mutable bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  mutable FileIdentity identity_ ABSL_GUARDED_BY(mu_);
  mutable std::string content_ ABSL_GUARDED_BY(mu_);
  mutable absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  mutable int64_t stat_count_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int64_t read_count_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int64_t reload_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_JWKS_FILE_SOURCE_H_
