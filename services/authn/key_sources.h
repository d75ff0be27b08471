// Builds authn's JWT key source from its configuration: configured keys
// (PEM public keys, HMAC secrets) first, in order, then the JWKS file, which
// rotates without a restart. Keys are parsed here, once, never per request.
#ifndef BASTION_SERVICES_AUTHN_KEY_SOURCES_H_
#define BASTION_SERVICES_AUTHN_KEY_SOURCES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bastion/authn/v1/authn_config.pb.h"
#include "common/clock/clock.h"
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

// Loads every configured key and the JWKS file. INVALID_ARGUMENT naming the
// key or file when one is missing or invalid, and when no key is configured
// at all: authn never starts open.
absl::StatusOr<std::shared_ptr<jwt::KeySource>> LoadKeySource(
    const v1::AuthnConfig& config, const Clock* clock);

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_KEY_SOURCES_H_
