// JWKS file polling and atomic key-set swap; see jwks_file_source.h.
#include "services/authn/jwt/jwks_file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace bastion::authn::jwt {
namespace {

struct FileSnapshot {
  uint64_t dev = 0, ino = 0;
  int64_t size = 0, mtime_ns = 0;
  std::string content;
};

absl::Status StatFile(const std::string& path, FileSnapshot* snap) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot stat JWKS file ", path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS path ", path, " is not a regular file"));
  }
  snap->dev = st.st_dev;
  snap->ino = st.st_ino;
  snap->size = st.st_size;
  snap->mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  return absl::OkStatus();
}

absl::Status ReadFile(const std::string& path, size_t max_bytes,
                      std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot open JWKS file ", path, ": ", std::strerror(errno)));
  }
  out->clear();
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot read JWKS file ", path, ": ", std::strerror(errno)));
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > max_bytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS file ", path, " is too large"));
    }
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwksFileSource>> JwksFileSource::Create(
    JwksFileOptions options, const Clock* clock) {
  if (clock == nullptr) return absl::InvalidArgumentError("null clock");
  if (options.refresh_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("negative refresh_interval");
  }
  FileSnapshot snap;
  absl::Status st = StatFile(options.path, &snap);
  if (!st.ok()) return st;
  std::string content;
  st = ReadFile(options.path, options.jwks.max_document_bytes, &content);
  if (!st.ok()) return st;
  auto keys = ParseJwks(content, options.jwks);
  if (!keys.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JWKS file ", options.path, ": ", keys.status().message()));
  }
  std::unique_ptr<JwksFileSource> source(
      new JwksFileSource(std::move(options), clock));
  absl::MutexLock lock(&source->mu_);
  source->keys_ = *std::move(keys);
  source->identity_ = {snap.dev, snap.ino, snap.size, snap.mtime_ns};
  source->content_ = std::move(content);
  source->next_check_ = clock->Now() + source->options_.refresh_interval;
  source->stat_count_ = 1;
  source->read_count_ = 1;
  return source;
}

std::shared_ptr<const KeySet> JwksFileSource::Current() const {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    if (now < next_check_ || refreshing_) return keys_;
    next_check_ = now + options_.refresh_interval;
    refreshing_ = true;
  }
  Refresh();
  absl::MutexLock lock(&mu_);
  refreshing_ = false;
  return keys_;
}

void JwksFileSource::Refresh() const {
  FileSnapshot snap;
  absl::Status st = StatFile(options_.path, &snap);
  FileIdentity identity{snap.dev, snap.ino, snap.size, snap.mtime_ns};
  {
    absl::MutexLock lock(&mu_);
    ++stat_count_;
    if (!st.ok()) {
      last_error_ = st;  // Keep serving the last good keys.
      return;
    }
    if (identity == identity_) return;
  }
  st = ReadFile(options_.path, options_.jwks.max_document_bytes, &snap.content);
  {
    absl::MutexLock lock(&mu_);
    ++read_count_;
    if (!st.ok()) {
      last_error_ = st;
      return;
    }
    if (snap.content == content_) {  // Touched but unchanged.
      identity_ = identity;
      return;
    }
  }
  auto keys = ParseJwks(snap.content, options_.jwks);
  absl::MutexLock lock(&mu_);
  if (!keys.ok()) {
    last_error_ = keys.status();
    return;
  }
  keys_ = *std::move(keys);
  identity_ = identity;
  content_ = std::move(snap.content);
  last_error_ = absl::OkStatus();
  ++reload_count_;
}

int64_t JwksFileSource::stat_count() const {
  absl::MutexLock lock(&mu_);
  return stat_count_;
}
int64_t JwksFileSource::read_count() const {
  absl::MutexLock lock(&mu_);
  return read_count_;
}
int64_t JwksFileSource::reload_count() const {
  absl::MutexLock lock(&mu_);
  return reload_count_;
}
absl::Status JwksFileSource::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace bastion::authn::jwt
