// Builds authn's JWT key source from its configuration: configured keys
// (PEM public keys, HMAC secrets, the inline verification_key) first, in
// order, then the rotating source: a JWKS file re-read when it changes, or
// an identity provider's JWKS over HTTPS (jwks_url). Keys are parsed here or
// on the fetch thread, never per request.
#ifndef BASTION_SERVICES_AUTHN_KEY_SOURCES_H_
#define BASTION_SERVICES_AUTHN_KEY_SOURCES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bastion/authn/v1/authn_config.pb.h"
#include "common/clock/clock.h"
#include "services/authn/jwt/jwks_url_source.h"
#include "services/authn/jwt/key_set.h"

namespace bastion::authn {

// Configured keys followed by a rotating source's keys, merged into one set
// that is rebuilt only when the rotating source hands out a new set.
// Thread-safe.
class OrderedKeySource final : public jwt::KeySource {
 public:
  // `fixed` may be empty; `rotating` may be null. At least one key overall.
  static absl::StatusOr<std::unique_ptr<OrderedKeySource>> Create(
      std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed,
      std::shared_ptr<jwt::KeySource> rotating);

  std::shared_ptr<const jwt::KeySet> Current() const override;
  // Asks the rotating source (if any) for the kid; a newer rotating set is
  // merged and returned.
  std::shared_ptr<const jwt::KeySet> RefreshForUnknownKid(
      uint64_t seen_generation) const override;

 private:
  OrderedKeySource(
      std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed,
      std::shared_ptr<jwt::KeySource> rotating,
      std::shared_ptr<const jwt::KeySet> merged, uint64_t rotating_generation);

  static absl::StatusOr<std::shared_ptr<const jwt::KeySet>> Merge(
      const std::vector<std::shared_ptr<const jwt::VerificationKey>>& fixed,
      const jwt::KeySet* rotating);

  const std::vector<std::shared_ptr<const jwt::VerificationKey>> fixed_;
  const std::shared_ptr<jwt::KeySource> rotating_;
  mutable absl::Mutex mutex_;
  mutable std::shared_ptr<const jwt::KeySet> merged_ ABSL_GUARDED_BY(mutex_);
  mutable uint64_t rotating_generation_ ABSL_GUARDED_BY(mutex_);
};

// The JWKS URL source's options from authn's config (defaults and bounds
// in authn_config.proto). INVALID_ARGUMENT naming the field; for a
// discovery URL, also when its issuer is not one of `issuer`.
absl::StatusOr<jwt::JwksUrlOptions> JwksUrlOptionsFrom(
    const v1::AuthnConfig& config);

// Loads every configured key and the JWKS file or URL. INVALID_ARGUMENT
// naming the key, file or field when one is missing or invalid, and when no
// key is configured at all: authn never starts open. UNAVAILABLE when the
// first fetch from jwks_url fails.
absl::StatusOr<std::shared_ptr<jwt::KeySource>> LoadKeySource(
    const v1::AuthnConfig& config, const Clock* clock);

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_KEY_SOURCES_H_
