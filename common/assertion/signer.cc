// Assertion signer; see signer.h.
#include "common/assertion/signer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "common/assertion/assertion_limits.h"
#include "common/status/status_macros.h"

namespace bastion::assertion {
namespace {

using ::bastion::common::v1::AssertionClaims;
using ::bastion::common::v1::AssertionKey;
using ::bastion::common::v1::CredentialKind;
using ::bastion::common::v1::DelegationClaims;
using ::bastion::common::v1::Principal;
using ::bastion::common::v1::SignedAssertion;

// A PEM key is a few hundred bytes; anything much larger is not one.
constexpr off_t kMaxPemBytes = 64 * 1024;

// Key text is wiped from memory when it goes out of scope.
class SecretString {
 public:
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  ~SecretString() { OPENSSL_cleanse(value_.data(), value_.size()); }
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  const std::string& value() const { return value_; }

 private:
  std::string value_;
};

absl::Status FileError(absl::string_view what, const std::string& path,
                       int error) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error)));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the result (a failed close may lose written data).
  int Close() {
    const int result = close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("no key file at ", path));
    }
    return FileError("open", path, errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return FileError("stat", path, errno);
  if (!S_ISREG(st.st_mode) || st.st_size > kMaxPemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a PEM key file"));
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileError("read", path, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return data;
}

// Writes `data` to a new mode-0600 temporary file next to `path`, synced to
// disk; returns its name.
absl::StatusOr<std::string> WriteTempFile(const std::string& path,
                                          const std::string& data) {
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  Fd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return FileError("create a file next to", path, errno);
  absl::Status status = absl::OkStatus();
  // mkostemp already uses 0600; fchmod makes it independent of the libc.
  if (fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) {
    status = FileError("chmod", temp, errno);
  }
  std::size_t done = 0;
  while (status.ok() && done < data.size()) {
    const ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = FileError("write", temp, errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (status.ok() && fsync(fd.get()) != 0) status = FileError("sync", temp, errno);
  if (fd.Close() != 0 && status.ok()) status = FileError("close", temp, errno);
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  return temp;
}

absl::Status CheckSignable(const Principal& principal,
                           const std::vector<std::string>& audiences,
                           std::int64_t issued_at, std::int64_t expires_at) {
  if (absl::string_view why = PrincipalDefect(principal); !why.empty()) {
    return absl::InvalidArgumentError(why);
  }
  if (audiences.empty()) {
    return absl::InvalidArgumentError("assertion needs at least one audience");
  }
  for (const std::string& audience : audiences) {
    if (audience.empty()) {
      return absl::InvalidArgumentError("assertion audience is empty");
    }
  }
  if (expires_at <= issued_at) {
    return absl::InvalidArgumentError("expires_at must be after issued_at");
  }
  // absl::Time arithmetic saturates, so extreme values cannot overflow.
  if (absl::FromUnixSeconds(expires_at) - absl::FromUnixSeconds(issued_at) >
      kMaxLifetime) {
    return absl::InvalidArgumentError(
        "assertion lifetime exceeds 15 minutes");
  }
  if (principal.expires_at_unix() != 0 &&
      expires_at > principal.expires_at_unix()) {
    return absl::InvalidArgumentError(
        "assertion would outlive the principal's credential");
  }
  return absl::OkStatus();
}

}  // namespace

AssertionSigner::AssertionSigner(internal::PkeyPtr pkey,
                                 std::string raw_public_key)
    : pkey_(std::move(pkey)),
      raw_public_key_(std::move(raw_public_key)),
      key_id_(internal::KeyIdOf(raw_public_key_)) {}

absl::StatusOr<AssertionSigner> AssertionSigner::FromPrivateKey(
    internal::PkeyPtr pkey) {
  ASSIGN_OR_RETURN(std::string raw, internal::RawPublicKey(pkey.get()));
  return AssertionSigner(std::move(pkey), std::move(raw));
}

absl::StatusOr<AssertionSigner> AssertionSigner::Generate() {
  ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::GeneratePrivateKey());
  return FromPrivateKey(std::move(pkey));
}

absl::StatusOr<AssertionSigner> AssertionSigner::LoadPemFile(
    const std::string& path) {
  ASSIGN_OR_RETURN(std::string data, ReadSmallFile(path));
  const SecretString pem(std::move(data));
  absl::StatusOr<internal::PkeyPtr> pkey =
      internal::PrivateKeyFromPem(pem.value());
  if (!pkey.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", pkey.status().message()));
  }
  return FromPrivateKey(*std::move(pkey));
}

absl::StatusOr<AssertionSigner> AssertionSigner::LoadOrGenerate(
    const std::string& path) {
  absl::StatusOr<AssertionSigner> loaded = LoadPemFile(path);
  if (!absl::IsNotFound(loaded.status())) return loaded;

  ASSIGN_OR_RETURN(AssertionSigner generated, Generate());
  ASSIGN_OR_RETURN(std::string data,
                   internal::PrivateKeyToPem(generated.pkey_.get()));
  const SecretString pem(std::move(data));
  ASSIGN_OR_RETURN(std::string temp, WriteTempFile(path, pem.value()));
  // link() fails with EEXIST instead of replacing: whoever links first wins.
  const int linked = link(temp.c_str(), path.c_str());
  const int link_error = errno;
  unlink(temp.c_str());
  if (linked == 0) return generated;
  if (link_error == EEXIST) return LoadPemFile(path);
  return FileError("create", path, link_error);
}

absl::Status AssertionSigner::SaveTo(const std::string& path) const {
  ASSIGN_OR_RETURN(std::string data, internal::PrivateKeyToPem(pkey_.get()));
  const SecretString pem(std::move(data));
  ASSIGN_OR_RETURN(std::string temp, WriteTempFile(path, pem.value()));
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return FileError("replace", path, error);
  }
  return absl::OkStatus();
}

AssertionKey AssertionSigner::PublicKey() const {
  AssertionKey key;
  key.set_key_id(key_id_);
  key.set_algorithm(std::string(kAlgorithm));
  key.set_public_key(raw_public_key_);
  return key;
}

absl::StatusOr<std::string> AssertionSigner::Sign(
    const Principal& principal, const std::vector<std::string>& audiences,
    absl::Time issued_at, absl::Time expires_at) const {
  return SignClaims(principal, /*delegation=*/nullptr, audiences, issued_at,
                    expires_at);
}

absl::StatusOr<std::string> AssertionSigner::SignDelegation(
    const Principal& principal, const DelegationClaims& delegation,
    const std::vector<std::string>& audiences, absl::Time issued_at,
    absl::Time expires_at) const {
  if (absl::string_view why = DelegationDefect(delegation); !why.empty()) {
    return absl::InvalidArgumentError(why);
  }
  return SignClaims(principal, &delegation, audiences, issued_at, expires_at);
}

absl::StatusOr<std::string> AssertionSigner::SignClaims(
    const Principal& principal, const DelegationClaims* delegation,
    const std::vector<std::string>& audiences, absl::Time issued_at,
    absl::Time expires_at) const {
  const std::int64_t issued = absl::ToUnixSeconds(issued_at);
  const std::int64_t expires = absl::ToUnixSeconds(expires_at);
  RETURN_IF_ERROR(CheckSignable(principal, audiences, issued, expires));

  AssertionClaims claims;
  *claims.mutable_principal() = principal;
  for (const std::string& audience : audiences) claims.add_audiences(audience);
  claims.set_issued_at_unix(issued);
  claims.set_expires_at_unix(expires);
  ASSIGN_OR_RETURN(std::string assertion_id, internal::RandomHex(16));
  claims.set_assertion_id(std::move(assertion_id));
  if (delegation != nullptr) *claims.mutable_delegation() = *delegation;

  SignedAssertion signed_assertion;
  if (!claims.SerializeToString(signed_assertion.mutable_claims())) {
    return absl::InternalError("cannot serialize assertion claims");
  }
  ASSIGN_OR_RETURN(
      std::string signature,
      internal::Sign(pkey_.get(),
                     internal::SigningInput(signed_assertion.claims())));
  signed_assertion.set_key_id(key_id_);
  signed_assertion.set_signature(std::move(signature));
  std::string out;
  if (!signed_assertion.SerializeToString(&out)) {
    return absl::InternalError("cannot serialize the signed assertion");
  }
  if (out.size() > kMaxAssertionBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("assertion would be ", out.size(),
                     " bytes, over the limit of ", kMaxAssertionBytes));
  }
  return out;
}

}  // namespace bastion::assertion
