// The one way a service builds its call guard's dependencies from its
// config: authenticator, assertion verifier, authorizer, service identity,
// trusted services, rate limiter and audit sink, with every channel to
// another service from one ChannelFactory. A service passes in the parts it
// owns itself (authn its authenticator, authz its authorizer, data its
// audit writer); everything else is asked over the network.
#ifndef BASTION_COMMON_AUTH_GUARD_WIRING_H_
#define BASTION_COMMON_AUTH_GUARD_WIRING_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/audit_sink.h"
#include "common/auth/call_guard.h"
#include "common/auth/caller.h"
#include "common/auth/channel_factory.h"
#include "common/auth/rate_limiter.h"
#include "common/auth/remote.h"
#include "common/auth/service_identity.h"
#include "common/auth/trusted_services.h"
#include "common/tls/tls_config.h"
#include "google/protobuf/message.h"

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

// What a service's config says about its guard. Every service config
// message has these fields, except the address of the service itself.
struct GuardSettings {
  // The service's name in its assertions ("service:<name>") and in the
  // grants of trusted_services_file.
  std::string service_name;
  std::string authn_address;
  std::string authz_address;
  std::string data_address;
  std::string service_key_file;
  std::string trusted_services_file;
  std::string assertion_audience;
  common::v1::RateLimitConfig rate_limits;
  tls::TlsFiles tls;
};

// The parts a service owns itself (not owned here; must outlive the
// wiring). Null, or an empty writer, means: ask the service that owns it.
struct LocalGuardParts {
  Authenticator* authenticator = nullptr;       // authn
  AssertionAuthenticator* assertions = nullptr;  // authn
  Authorizer* authorizer = nullptr;             // authz
  QueuedAuditSink::Writer audit_writer;          // data
};

// Owns everything dependencies() points to. Not copyable; thread-safe once
// built (as its parts).
class GuardWiring {
 public:
  // Reads the GuardSettings fields of a service config message (absent
  // address fields read as empty). INVALID_ARGUMENT naming the key for a
  // bad or missing setting: service_key_file is required unless the
  // service owns its authorizer (authz answers Check only for services it
  // trusts).
  static absl::StatusOr<std::unique_ptr<GuardWiring>> FromConfig(
      const google::protobuf::Message& config, const std::string& service_name,
      LocalGuardParts local);

  static absl::StatusOr<std::unique_ptr<GuardWiring>> Create(
      const GuardSettings& settings, LocalGuardParts local);

  GuardWiring(const GuardWiring&) = delete;
  GuardWiring& operator=(const GuardWiring&) = delete;

  const GuardDependencies& dependencies() const { return dependencies_; }
  // Every outgoing channel of the service: to authn, authz, data, tool
  // servers.
  const ChannelFactory& channels() const { return *channels_; }
  // The listener's credentials (null = plaintext).
  std::shared_ptr<grpc::ServerCredentials> server_credentials() const {
    return server_credentials_;
  }
  // Null without a service_key_file.
  ServiceIdentity* identity() const { return identity_.get(); }

 private:
  GuardWiring() = default;

  std::unique_ptr<ServiceIdentity> identity_;
  std::unique_ptr<ChannelFactory> channels_;
  std::shared_ptr<grpc::ServerCredentials> server_credentials_;
  std::unique_ptr<RemoteAuthenticator> authenticator_;
  std::unique_ptr<RemoteAuthorizer> authorizer_;
  std::unique_ptr<AssertionAuthenticator> assertions_;
  std::unique_ptr<TrustedServices> services_;
  std::unique_ptr<RateLimiter> rate_limiter_;
  // Destroyed first: its queue flushes through identity_ and the channels.
  std::unique_ptr<QueuedAuditSink> audit_;
  GuardDependencies dependencies_;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_GUARD_WIRING_H_
