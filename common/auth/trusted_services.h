// The services a receiver trusts, and the methods each may call there: what
// a service's trusted_services_file holds (bastion.common.v1.TrustedServices,
// written by `service_identity init`). A trusted key proves only its own
// service, and that service reaches only the methods listed for it.
#ifndef BASTION_COMMON_AUTH_TRUSTED_SERVICES_H_
#define BASTION_COMMON_AUTH_TRUSTED_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "common/assertion/verifier.h"
#include "common/auth/caller.h"
#include "common/auth/service_identity.h"

namespace bastion {

// Immutable after creation; thread-safe.
class TrustedServices final : public ServiceAuthenticator {
 public:
  // Validates every entry: a name of [a-z0-9_]{1,64}, no name and no key
  // twice, a valid key, methods of the form "<package>.<Service>/<Method>".
  // INVALID_ARGUMENT naming the entry otherwise.
  static absl::StatusOr<std::unique_ptr<TrustedServices>> Create(
      const common::v1::TrustedServices& trusted);

  // Reads `path` (JSON TrustedServices). A bare key list, the form that
  // named keys without services and methods, is refused with a message
  // that says how to write the file again.
  static absl::StatusOr<std::unique_ptr<TrustedServices>> Load(
      const std::string& path);

  // A service assertion signed by a trusted service's own key and naming
  // that service; a key never proves another service's name.
  absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) override;

  bool MayCall(absl::string_view subject,
               absl::string_view full_method) const override;

 private:
  struct Grant {
    std::string key_id;
    absl::flat_hash_set<std::string> methods;
  };

  TrustedServices(std::shared_ptr<const assertion::KeySet> keys,
                  absl::flat_hash_map<std::string, Grant> grants);

  const assertion::AssertionVerifier verifier_;
  // By subject ("service:<name>").
  const absl::flat_hash_map<std::string, Grant> grants_;
};

// The entry that trusts `identity`'s key for `methods`.
common::v1::TrustedService TrustedServiceOf(const ServiceIdentity& identity,
                                            std::vector<std::string> methods);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_TRUSTED_SERVICES_H_
