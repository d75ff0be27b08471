// Builds the guard dependencies of a service that asks authn and authz over
// the network (data, run-executor), so every main wires them the same way.
#ifndef BASTION_COMMON_AUTH_REMOTE_WIRING_H_
#define BASTION_COMMON_AUTH_REMOTE_WIRING_H_

#include <memory>
#include <string>

#include "common/auth/call_guard.h"
#include "common/auth/remote.h"

namespace bastion {

// Cache bounds, stated in the README: a revoked API key stops working at a
// remote service within kCredentialCacheTtl, a role change within
// kDecisionCacheTtl.
inline constexpr absl::Duration kCredentialCacheTtl = absl::Seconds(1);
inline constexpr absl::Duration kDecisionCacheTtl = absl::Seconds(5);

// Owns the remote clients; `dependencies()` points into them.
class RemoteAuth {
 public:
  RemoteAuth(const std::string& authn_address, const std::string& authz_address);

  GuardDependencies dependencies();

 private:
  std::unique_ptr<RemoteAuthenticator> authenticator_;
  std::unique_ptr<RemoteAuthorizer> authorizer_;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_WIRING_H_
