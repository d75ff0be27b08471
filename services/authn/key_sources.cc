#include "services/authn/key_sources.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/authn/jwt/jwks_file_source.h"
#include "services/authn/jwt/key.h"

namespace bastion::authn {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> LoadKey(
    const v1::VerificationKey& spec, int index) {
  const std::string where = absl::StrCat("verification_keys[", index, "]");
  jwt::AlgorithmSet allowed;
  if (!spec.algorithm().empty()) {
    std::optional<jwt::Algorithm> algorithm =
        jwt::AlgorithmFromName(spec.algorithm());
    if (!algorithm.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown algorithm ", spec.algorithm()));
    }
    allowed.Add(*algorithm);
  }
  if (spec.pem_file().empty() == spec.hmac_secret_file().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": set exactly one of pem_file, hmac_secret_file"));
  }
  absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> key;
  if (!spec.pem_file().empty()) {
    ASSIGN_OR_RETURN(std::string pem, ReadFile(spec.pem_file()));
    key = jwt::VerificationKey::FromPublicKeyPem(pem, spec.kid(), allowed);
  } else {
    ASSIGN_OR_RETURN(std::string secret, ReadFile(spec.hmac_secret_file()));
    // A trailing newline from `echo > file` is not part of the secret.
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
      secret.pop_back();
    }
    key = jwt::VerificationKey::FromHmacSecret(secret, spec.kid(), allowed);
  }
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", key.status().message()));
  }
  return key;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OrderedKeySource>> OrderedKeySource::Create(
    std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed,
    std::shared_ptr<jwt::KeySource> rotating) {
  std::shared_ptr<const jwt::KeySet> current =
      rotating != nullptr ? rotating->Current() : nullptr;
  ASSIGN_OR_RETURN(std::shared_ptr<const jwt::KeySet> merged,
                   Merge(fixed, current.get()));
  const uint64_t generation = current != nullptr ? current->generation() : 0;
  return std::unique_ptr<OrderedKeySource>(new OrderedKeySource(
      std::move(fixed), std::move(rotating), std::move(merged), generation));
}

OrderedKeySource::OrderedKeySource(
    std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed,
    std::shared_ptr<jwt::KeySource> rotating,
    std::shared_ptr<const jwt::KeySet> merged, uint64_t rotating_generation)
    : fixed_(std::move(fixed)),
      rotating_(std::move(rotating)),
      merged_(std::move(merged)),
      rotating_generation_(rotating_generation) {}

absl::StatusOr<std::shared_ptr<const jwt::KeySet>> OrderedKeySource::Merge(
    const std::vector<std::shared_ptr<const jwt::VerificationKey>>& fixed,
    const jwt::KeySet* rotating) {
  std::vector<std::shared_ptr<const jwt::VerificationKey>> all = fixed;
  if (rotating != nullptr) {
    all.insert(all.end(), rotating->keys().begin(), rotating->keys().end());
  }
  return jwt::KeySet::Create(std::move(all));
}

std::shared_ptr<const jwt::KeySet> OrderedKeySource::Current() const {
  if (rotating_ == nullptr) {
    absl::ReaderMutexLock lock(&mutex_);
    return merged_;
  }
  // Outside the lock: the rotating source may stat, read and parse its file
  // on this call, and no other verification should wait for that.
  std::shared_ptr<const jwt::KeySet> current = rotating_->Current();
  {
    absl::ReaderMutexLock lock(&mutex_);
    // Generations only grow (KeySet::Create numbers sets in creation order),
    // so an older one means another caller already merged a newer set: keep
    // it rather than swap the older keys back in.
    if (current->generation() <= rotating_generation_) return merged_;
  }
  absl::MutexLock lock(&mutex_);
  // Re-check: another caller may have merged this set (or a newer one)
  // between the two locks; merge and log each new set once.
  if (current->generation() <= rotating_generation_) return merged_;
  absl::StatusOr<std::shared_ptr<const jwt::KeySet>> merged =
      Merge(fixed_, current.get());
  if (!merged.ok()) {
    // E.g. the new JWKS reuses a configured kid: keep the previous keys.
    Log(LogLevel::kError, "jwks_merge_failed",
        {{"error", merged.status().message()}});
  } else {
    merged_ = *std::move(merged);
  }
  rotating_generation_ = current->generation();
  return merged_;
}

absl::StatusOr<std::shared_ptr<jwt::KeySource>> LoadKeySource(
    const v1::AuthnConfig& config, const Clock* clock) {
  std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed;
  for (int i = 0; i < config.verification_keys_size(); ++i) {
    ASSIGN_OR_RETURN(std::shared_ptr<const jwt::VerificationKey> key,
                     LoadKey(config.verification_keys(i), i));
    fixed.push_back(std::move(key));
  }
  std::shared_ptr<jwt::KeySource> rotating;
  if (!config.jwks_file().empty()) {
    jwt::JwksFileOptions options;
    options.path = config.jwks_file();
    absl::StatusOr<std::unique_ptr<jwt::JwksFileSource>> jwks =
        jwt::JwksFileSource::Create(options, clock);
    if (!jwks.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "jwks_file ", config.jwks_file(), ": ", jwks.status().message()));
    }
    rotating = std::shared_ptr<jwt::KeySource>(std::move(*jwks));
  }
  if (fixed.empty() && rotating == nullptr) {
    return absl::InvalidArgumentError(
        "no verification key configured: set jwks_file (BASTION_JWKS_FILE) "
        "or verification_keys");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<OrderedKeySource> source,
                   OrderedKeySource::Create(std::move(fixed), rotating));
  return std::shared_ptr<jwt::KeySource>(std::move(source));
}

}  // namespace bastion::authn
