#include "tools/cli/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace bastion::cli {
namespace {

constexpr size_t kMaxCredentialBytes = 8192;
constexpr off_t kMaxFileBytes = 64 * 1024;
constexpr absl::string_view kApiKeyPrefix = "bst_";

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status MakeDirs(const std::string& dir) {
  std::string prefix;
  for (absl::string_view part : absl::StrSplit(dir, '/')) {
    if (prefix.empty() && part.empty()) {
      prefix = "/";
      continue;
    }
    if (part.empty()) continue;
    absl::StrAppend(&prefix, prefix.empty() || prefix == "/" ? "" : "/", part);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", prefix, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return absl::FailedPreconditionError(
          absl::StrCat("write failed: ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

std::string KindName(CredentialKind kind) {
  return kind == CredentialKind::kApiKey ? "api_key" : "jwt";
}

}  // namespace

absl::StatusOr<StoredCredential> ParseCredential(absl::string_view pasted) {
  const absl::string_view value = absl::StripAsciiWhitespace(pasted);
  if (value.empty()) return absl::InvalidArgumentError("no credential given");
  if (value.size() > kMaxCredentialBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the credential is longer than ", kMaxCredentialBytes, " bytes"));
  }
  for (char c : value) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          "the credential contains spaces or control characters");
    }
  }
  StoredCredential credential;
  credential.secret = std::string(value);
  if (absl::StartsWith(value, kApiKeyPrefix) &&
      value.size() > kApiKeyPrefix.size()) {
    credential.kind = CredentialKind::kApiKey;
    return credential;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(value, '.');
  if (parts.size() == 3 && !parts[0].empty() && !parts[1].empty() &&
      !parts[2].empty()) {
    credential.kind = CredentialKind::kJwt;
    return credential;
  }
  return absl::InvalidArgumentError(
      "that is neither an API key (bst_...) nor a token (three dot-separated "
      "parts)");
}

absl::StatusOr<std::string> ConfigDir(
    const std::map<std::string, std::string>& env) {
  const auto get = [&](const char* name) -> std::string {
    auto it = env.find(name);
    return it == env.end() ? "" : it->second;
  };
  if (!get("BASTION_CONFIG_DIR").empty()) return get("BASTION_CONFIG_DIR");
  if (!get("XDG_CONFIG_HOME").empty())
    return get("XDG_CONFIG_HOME") + "/bastion";
  if (!get("HOME").empty()) return get("HOME") + "/.config/bastion";
  return absl::FailedPreconditionError(
      "no configuration folder: set BASTION_CONFIG_DIR or HOME");
}

CredentialStore::CredentialStore(std::string dir)
    : dir_(std::move(dir)), path_(dir_ + "/credentials") {}

absl::Status CredentialStore::Save(const StoredCredential& credential) const {
  absl::Status made = MakeDirs(dir_);
  if (!made.ok()) return made;
  const nlohmann::json document = {
      {"version", 1},
      {"kind", KindName(credential.kind)},
      {"credential", credential.secret},
      {"subject", credential.subject},
      {"tenant", credential.tenant},
      {"expires_at_unix", credential.expires_at_unix},
  };
  std::string temporary = path_ + ".XXXXXX";
  Fd fd(mkstemp(temporary.data()));
  if (fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write in ", dir_, ": ", std::strerror(errno)));
  }
  absl::Status written =
      fchmod(fd.get(), 0600) == 0
          ? WriteAll(fd.get(),
                     document.dump(2, ' ', false,
                                   nlohmann::json::error_handler_t::replace) +
                         "\n")
          : absl::FailedPreconditionError("cannot set mode 0600");
  if (written.ok() && fsync(fd.get()) != 0) {
    written =
        absl::FailedPreconditionError("cannot flush the credentials file");
  }
  if (written.ok() && rename(temporary.c_str(), path_.c_str()) != 0) {
    written = absl::FailedPreconditionError(
        absl::StrCat("cannot replace ", path_, ": ", std::strerror(errno)));
  }
  if (!written.ok()) unlink(temporary.c_str());
  return written;
}

absl::StatusOr<StoredCredential> CredentialStore::Load() const {
  Fd fd(open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return absl::UnauthenticatedError("not logged in: run `bastion login`");
    }
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(
          absl::StrCat("refusing ", path_, ": it is a symbolic link"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path_, ": ", std::strerror(errno)));
  }
  struct stat info {};
  if (fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", path_, ": not a regular file"));
  }
  if (info.st_uid != geteuid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", path_, ": owned by another user"));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("refusing %s: group or others may access it (mode "
                        "%04o); run `chmod 600 %s` "
                        "or log in again",
                        path_, info.st_mode & 07777, path_));
  }
  if (info.st_size > kMaxFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing ", path_, ": too large"));
  }
  std::string text(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = read(fd.get(), text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  text.resize(done);
  const absl::Status garbled = absl::FailedPreconditionError(absl::StrCat(
      path_, " is not a credentials file; run `bastion login` again"));
  const nlohmann::json document =
      nlohmann::json::parse(text, nullptr,
                            /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("credential") ||
      !document["credential"].is_string()) {
    return garbled;
  }
  absl::StatusOr<StoredCredential> credential =
      ParseCredential(document["credential"].get<std::string>());
  if (!credential.ok()) return garbled;
  const auto text_field = [&](const char* name) {
    auto it = document.find(name);
    return it != document.end() && it->is_string() ? it->get<std::string>()
                                                   : "";
  };
  credential->subject = text_field("subject");
  credential->tenant = text_field("tenant");
  auto expires = document.find("expires_at_unix");
  if (expires != document.end() && expires->is_number_integer()) {
    credential->expires_at_unix = expires->get<int64_t>();
  }
  return credential;
}

absl::StatusOr<bool> CredentialStore::Remove() const {
  if (unlink(path_.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return absl::FailedPreconditionError(
      absl::StrCat("cannot remove ", path_, ": ", std::strerror(errno)));
}

}  // namespace bastion::cli
