#include "common/auth/remote_wiring.h"

#include "absl/time/clock.h"
#include "common/assertion/verifier.h"
#include "common/auth/remote_assertion_keys.h"
#include "common/auth/service_identity.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

constexpr size_t kCacheCapacity = 100000;

}  // namespace

RemoteAuth::RemoteAuth(const std::string& authn_address,
                       const std::string& authz_address,
                       const std::string& assertion_audience,
                       std::shared_ptr<grpc::ChannelCredentials> credentials,
                       ServiceIdentity* identity) {
  const Clock* now = SystemClock::Get();
  std::shared_ptr<grpc::Channel> authn =
      ServiceChannel(authn_address, credentials, /*identity=*/nullptr);
  authenticator_ = std::make_unique<RemoteAuthenticator>(
      authn, kCredentialCacheTtl, kCacheCapacity, now);
  if (!authz_address.empty()) {
    // authz answers Check for a user's assertion only from a service it
    // trusts: this one proves itself on every call.
    authorizer_ = std::make_unique<RemoteAuthorizer>(
        ServiceChannel(authz_address, credentials, identity), kDecisionCacheTtl,
        kCacheCapacity, now);
  }
  auto keys = std::make_shared<RemoteAssertionKeyProvider>(
      authn, kAssertionKeyRefresh, kAssertionKeyRefetch, now);
  assertions_ = std::make_unique<assertion::LocalAssertionAuthenticator>(
      std::make_shared<const assertion::AssertionVerifier>(
          keys, SystemClock::Get(), assertion_audience));
}

absl::Status RemoteAuth::TrustServices(const std::string& trusted_services_file) {
  if (trusted_services_file.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::shared_ptr<const assertion::KeySet> trusted,
                   LoadTrustedServices(trusted_services_file));
  ASSIGN_OR_RETURN(services_, MakeServiceVerifier(std::move(trusted)));
  return absl::OkStatus();
}

absl::Status RemoteAuth::LimitRates(const common::v1::RateLimitConfig& config) {
  if (config.disabled()) return absl::OkStatus();
  ASSIGN_OR_RETURN(rate_limiter_, TokenBucketLimiter::Create(
                                      config, SystemClock::Get()));
  return absl::OkStatus();
}

void RemoteAuth::AuditWith(QueuedAuditSink::Writer writer) {
  audit_ = std::make_unique<QueuedAuditSink>(std::move(writer));
}

GuardDependencies RemoteAuth::dependencies() {
  GuardDependencies dependencies;
  dependencies.authenticator = authenticator_.get();
  dependencies.assertions = assertions_.get();
  dependencies.authorizer = authorizer_.get();
  dependencies.services = services_.get();
  dependencies.rate_limiter = rate_limiter_.get();
  dependencies.audit = audit_.get();
  return dependencies;
}

}  // namespace bastion
