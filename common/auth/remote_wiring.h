// Builds the guard dependencies of a service that asks authn and authz over
// the network (data, run-executor), so every main wires them the same way.
#ifndef BASTION_COMMON_AUTH_REMOTE_WIRING_H_
#define BASTION_COMMON_AUTH_REMOTE_WIRING_H_

#include <memory>
#include <string>

#include "common/assertion/local_authenticator.h"
#include "common/auth/audit_sink.h"
#include "common/auth/call_guard.h"
#include "common/auth/rate_limiter.h"
#include "common/auth/remote.h"
#include "common/auth/service_identity.h"

namespace bastion {

// Cache bounds, stated in the README: a revoked API key stops working at a
// remote service within kCredentialCacheTtl, a role change within
// kDecisionCacheTtl.
inline constexpr absl::Duration kCredentialCacheTtl = absl::Seconds(1);
inline constexpr absl::Duration kDecisionCacheTtl = absl::Seconds(5);

// authn's assertion keys are re-fetched this often, and at most once per
// kAssertionKeyRefetch when an unknown key id shows up.
inline constexpr absl::Duration kAssertionKeyRefresh = absl::Minutes(5);
inline constexpr absl::Duration kAssertionKeyRefetch = absl::Seconds(5);

// Owns the remote clients; `dependencies()` points into them. With an empty
// authz address, no authorizer is built (the owner supplies its own).
class RemoteAuth {
 public:
  // Null `credentials` means plaintext channels. `identity` (not owned; must
  // outlive this) proves this service to authz, which answers Check for a
  // user only to services it trusts; required with an authz address.
  RemoteAuth(const std::string& authn_address, const std::string& authz_address,
             const std::string& assertion_audience,
             std::shared_ptr<grpc::ChannelCredentials> credentials,
             ServiceIdentity* identity);

  // Accepts internal calls, and principal assertions, from the services
  // whose keys are listed in `trusted_services_file` (see
  // service_identity.h). Without it (empty path), every internal method is
  // denied and every principal assertion refused.
  absl::Status TrustServices(const std::string& trusted_services_file);

  // Limits each principal's request rate as configured (unless disabled).
  absl::Status LimitRates(const common::v1::RateLimitConfig& config);

  // Sends every denial to `writer` through a bounded background queue.
  void AuditWith(QueuedAuditSink::Writer writer);

  GuardDependencies dependencies();

 private:
  std::unique_ptr<RemoteAuthenticator> authenticator_;
  std::unique_ptr<RemoteAuthorizer> authorizer_;
  std::unique_ptr<assertion::LocalAssertionAuthenticator> assertions_;
  std::unique_ptr<AssertionAuthenticator> services_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  std::unique_ptr<QueuedAuditSink> audit_;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_WIRING_H_
