// Where `bastion login` keeps the caller's credential: one JSON file in the
// configuration folder, written atomically with mode 0600 in a 0700 folder,
// and refused on load when anyone but its owner could read or replace it.
#ifndef BASTION_TOOLS_CLI_CREDENTIALS_H_
#define BASTION_TOOLS_CLI_CREDENTIALS_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace bastion::cli {

enum class CredentialKind { kJwt, kApiKey };

// The stored credential and what authn said about it at login (shown by
// `whoami` without a call; the server decides again on every call).
struct StoredCredential {
  CredentialKind kind = CredentialKind::kJwt;
  std::string secret;
  std::string subject;
  std::string tenant;
  int64_t expires_at_unix = 0;
};

// Trims surrounding whitespace and checks the shape: at most 8 KiB (authn's
// limit), printable ASCII without spaces, and either an API key ("bst_...")
// or a compact JWS (three non-empty dot-separated parts). INVALID_ARGUMENT
// otherwise, without echoing the value.
absl::StatusOr<StoredCredential> ParseCredential(absl::string_view pasted);

// The configuration folder: $BASTION_CONFIG_DIR, else
// $XDG_CONFIG_HOME/bastion, else $HOME/.config/bastion. FAILED_PRECONDITION
// when none of them is set.
absl::StatusOr<std::string> ConfigDir(
    const std::map<std::string, std::string>& env);

// The credentials file `<dir>/credentials`. Not thread-safe; one per
// process.
class CredentialStore {
 public:
  explicit CredentialStore(std::string dir);

  const std::string& path() const { return path_; }

  // Creates the folder (0700) if missing and replaces the file atomically
  // (a temporary file with mode 0600, then rename).
  absl::Status Save(const StoredCredential& credential) const;

  // UNAUTHENTICATED when there is no file ("not logged in");
  // FAILED_PRECONDITION when the file is a symlink or not a regular file,
  // is not owned by this user, is readable or writable by group or others,
  // is larger than 64 KiB, or is not a credentials document.
  absl::StatusOr<StoredCredential> Load() const;

  // Removes the file; OK (and false) when there was none.
  absl::StatusOr<bool> Remove() const;

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_CREDENTIALS_H_
