#include "tools/cli/command.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

constexpr absl::Duration kDefaultTimeout = absl::Seconds(30);

}  // namespace

const std::string& CommandContext::Env(const std::string& name) const {
  static const std::string* const kEmpty = new std::string();
  auto it = terminal_.env.find(name);
  return it == terminal_.env.end() ? *kEmpty : it->second;
}

absl::StatusOr<CredentialStore> CommandContext::Store() const {
  if (auto dir = global_.Value("config-dir")) {
    if (dir->empty()) return UsageError("--config-dir must name a folder");
    return CredentialStore(*dir);
  }
  absl::StatusOr<std::string> dir = ConfigDir(terminal_.env);
  if (!dir.ok()) return dir.status();
  return CredentialStore(*dir);
}

absl::StatusOr<StoredCredential> CommandContext::Credential() const {
  if (!Env("BASTION_TOKEN").empty()) {
    absl::StatusOr<StoredCredential> from_env =
        ParseCredential(Env("BASTION_TOKEN"));
    if (!from_env.ok()) {
      return absl::UnauthenticatedError(
          absl::StrCat("BASTION_TOKEN: ", from_env.status().message()));
    }
    return from_env;
  }
  absl::StatusOr<CredentialStore> store = Store();
  if (!store.ok()) return store.status();
  return store->Load();
}

absl::StatusOr<Client> CommandContext::ClientWith(
    const std::string& credential) const {
  absl::StatusOr<Endpoints> endpoints =
      ResolveEndpoints(global_, terminal_.env);
  if (!endpoints.ok()) return endpoints.status();
  absl::Duration timeout = kDefaultTimeout;
  if (auto value = global_.Value("timeout")) {
    absl::StatusOr<absl::Duration> parsed =
        ParseDurationFlag("timeout", *value);
    if (!parsed.ok()) return parsed.status();
    if (*parsed <= absl::ZeroDuration())
      return UsageError("--timeout must be positive");
    timeout = *parsed;
  }
  tls::TlsFiles tls;
  tls.ca_file = global_.Value("tls-ca").value_or("");
  tls.cert_file = global_.Value("tls-cert").value_or("");
  tls.key_file = global_.Value("tls-key").value_or("");
  return Client(std::move(*endpoints), std::move(tls), timeout, credential);
}

absl::StatusOr<Client> CommandContext::Connect() const {
  absl::StatusOr<StoredCredential> credential = Credential();
  if (!credential.ok()) return credential.status();
  return ClientWith(credential->secret);
}

}  // namespace bastion::cli
