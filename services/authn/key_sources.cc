#include "services/authn/key_sources.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/authn/jwt/https_fetcher.h"
#include "services/authn/jwt/jwks_file_source.h"
#include "services/authn/jwt/key.h"
#include "services/authn/jwt/oidc_discovery.h"

namespace bastion::authn {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The configured algorithm as a set; empty for "" (the key's natural one).
absl::StatusOr<jwt::AlgorithmSet> AlgorithmsOf(const std::string& name,
                                               absl::string_view where) {
  jwt::AlgorithmSet allowed;
  if (name.empty()) return allowed;
  std::optional<jwt::Algorithm> algorithm = jwt::AlgorithmFromName(name);
  if (!algorithm.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": unknown algorithm ", name));
  }
  allowed.Add(*algorithm);
  return allowed;
}

absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> LoadKey(
    const v1::VerificationKey& spec, int index) {
  const std::string where = absl::StrCat("verification_keys[", index, "]");
  ASSIGN_OR_RETURN(jwt::AlgorithmSet allowed,
                   AlgorithmsOf(spec.algorithm(), where));
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

// verification_key: PEM text when it looks like PEM, else an HMAC secret.
// Errors name the field, never the value.
absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> LoadInlineKey(
    const v1::AuthnConfig& config) {
  ASSIGN_OR_RETURN(jwt::AlgorithmSet allowed,
                   AlgorithmsOf(config.verification_key_algorithm(),
                                "verification_key_algorithm"));
  const std::string& value = config.verification_key();
  const absl::string_view trimmed = absl::StripAsciiWhitespace(value);
  absl::StatusOr<std::shared_ptr<const jwt::VerificationKey>> key;
  if (absl::StartsWith(trimmed, "-----BEGIN")) {
    std::string pem(trimmed);
    // Variables often carry a PEM's line breaks as the two characters "\n".
    if (pem.find('\n') == std::string::npos) {
      pem = absl::StrReplaceAll(pem, {{"\\n", "\n"}});
    }
    key = jwt::VerificationKey::FromPublicKeyPem(pem, "", allowed);
  } else {
    key = jwt::VerificationKey::FromHmacSecret(value, "", allowed);
  }
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("verification_key: ", key.status().message()));
  }
  return key;
}

// A numeric setting: 0 selects `fallback`, anything else must lie in
// [low, high].
struct Bounds {
  int64_t fallback;
  int64_t low;
  int64_t high;
};

// INVALID_ARGUMENT naming `field` when `value` is out of `bounds`.
absl::StatusOr<int64_t> Setting(absl::string_view field, int64_t value,
                                Bounds bounds) {
  const int64_t chosen = value == 0 ? bounds.fallback : value;
  if (chosen < bounds.low || chosen > bounds.high) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be ", bounds.low, "..", bounds.high));
  }
  return chosen;
}

}  // namespace

absl::StatusOr<jwt::JwksUrlOptions> JwksUrlOptionsFrom(
    const v1::AuthnConfig& config) {
  jwt::JwksUrlOptions options;
  options.url = config.jwks_url();
  if (absl::Status https = jwt::CheckHttpsUrl(options.url); !https.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwks_url: ", https.message()));
  }
  if (std::optional<std::string> issuer =
          jwt::IssuerOfDiscoveryUrl(options.url);
      issuer.has_value() &&
      std::find(config.issuer().begin(), config.issuer().end(), *issuer) ==
          config.issuer().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwks_url: the discovery URL is for issuer \"", *issuer,
                     "\", which is not one of issuer (BASTION_ISSUER)"));
  }
  options.fetch.ca_file = config.jwks_ca_file();
  ASSIGN_OR_RETURN(
      int64_t min_cache,
      Setting("jwks_min_cache_seconds", config.jwks_min_cache_seconds(),
              {/*fallback=*/60, /*low=*/1, /*high=*/86400}));
  ASSIGN_OR_RETURN(
      int64_t max_cache,
      Setting("jwks_max_cache_seconds", config.jwks_max_cache_seconds(),
              {/*fallback=*/86400, /*low=*/min_cache, /*high=*/7 * 86400}));
  ASSIGN_OR_RETURN(int64_t refetch,
                   Setting("jwks_refetch_interval_seconds",
                           config.jwks_refetch_interval_seconds(),
                           {/*fallback=*/30, /*low=*/1, /*high=*/3600}));
  ASSIGN_OR_RETURN(
      int64_t connect_ms,
      Setting("jwks_connect_timeout_ms", config.jwks_connect_timeout_ms(),
              {/*fallback=*/2000, /*low=*/100, /*high=*/60000}));
  ASSIGN_OR_RETURN(int64_t timeout_ms,
                   Setting("jwks_timeout_ms", config.jwks_timeout_ms(),
                           {/*fallback=*/std::max<int64_t>(5000, connect_ms),
                            /*low=*/connect_ms, /*high=*/60000}));
  ASSIGN_OR_RETURN(int64_t max_bytes,
                   Setting("jwks_max_bytes", config.jwks_max_bytes(),
                           {/*fallback=*/1 << 20, /*low=*/1024,
                            /*high=*/4 << 20}));
  ASSIGN_OR_RETURN(
      int64_t wait_ms,
      Setting("jwks_unknown_kid_wait_ms", config.jwks_unknown_kid_wait_ms(),
              {/*fallback=*/std::min<int64_t>(1000, timeout_ms), /*low=*/1,
               /*high=*/timeout_ms}));
  options.min_cache = absl::Seconds(min_cache);
  options.max_cache = absl::Seconds(max_cache);
  options.refetch_interval = absl::Seconds(refetch);
  options.fetch.connect_timeout = absl::Milliseconds(connect_ms);
  options.fetch.timeout = absl::Milliseconds(timeout_ms);
  options.fetch.max_body_bytes = static_cast<size_t>(max_bytes);
  options.unknown_kid_wait = absl::Milliseconds(wait_ms);
  return options;
}

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

std::shared_ptr<const jwt::KeySet> OrderedKeySource::RefreshForUnknownKid(
    uint64_t seen_generation) const {
  if (rotating_ == nullptr) return nullptr;
  uint64_t rotating_seen = 0;
  {
    absl::ReaderMutexLock lock(&mutex_);
    if (merged_->generation() != seen_generation) return merged_;
    rotating_seen = rotating_generation_;
  }
  // Outside the lock: the rotating source may wait for a fetch.
  if (rotating_->RefreshForUnknownKid(rotating_seen) == nullptr) return nullptr;
  std::shared_ptr<const jwt::KeySet> current = Current();
  return current->generation() != seen_generation ? current : nullptr;
}

absl::StatusOr<std::shared_ptr<jwt::KeySource>> LoadKeySource(
    const v1::AuthnConfig& config, const Clock* clock) {
  if (!config.jwks_file().empty() && !config.jwks_url().empty()) {
    return absl::InvalidArgumentError(
        "set jwks_file or jwks_url, not both (one rotating key source)");
  }
  std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed;
  for (int i = 0; i < config.verification_keys_size(); ++i) {
    ASSIGN_OR_RETURN(std::shared_ptr<const jwt::VerificationKey> key,
                     LoadKey(config.verification_keys(i), i));
    fixed.push_back(std::move(key));
  }
  if (!config.verification_key().empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<const jwt::VerificationKey> key,
                     LoadInlineKey(config));
    fixed.push_back(std::move(key));
  } else if (!config.verification_key_algorithm().empty()) {
    return absl::InvalidArgumentError(
        "verification_key_algorithm: set without verification_key");
  }
  std::shared_ptr<jwt::KeySource> rotating;
  if (!config.jwks_url().empty()) {
    ASSIGN_OR_RETURN(jwt::JwksUrlOptions options, JwksUrlOptionsFrom(config));
    absl::StatusOr<std::unique_ptr<jwt::JwksUrlSource>> remote =
        jwt::JwksUrlSource::Create(std::move(options), clock);
    if (!remote.ok()) {
      // The message names the URL (without user info or query) already.
      return absl::Status(remote.status().code(),
                          absl::StrCat("jwks_url: ", remote.status().message()));
    }
    rotating = std::shared_ptr<jwt::KeySource>(std::move(*remote));
  }
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
        "no verification key configured: set jwks_url (BASTION_JWKS_URL), "
        "jwks_file (BASTION_JWKS_FILE), verification_key "
        "(BASTION_VERIFICATION_KEY) or verification_keys");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<OrderedKeySource> source,
                   OrderedKeySource::Create(std::move(fixed), rotating));
  return std::shared_ptr<jwt::KeySource>(std::move(source));
}

}  // namespace bastion::authn
