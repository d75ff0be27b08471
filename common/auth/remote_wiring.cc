#include "common/auth/remote_wiring.h"

#include "absl/time/clock.h"
#include "common/assertion/verifier.h"
#include "common/auth/remote_assertion_keys.h"
#include "common/auth/service_identity.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

constexpr size_t kCacheCapacity = 100000;

std::shared_ptr<grpc::Channel> Connect(
    const std::string& address,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  // Reconnect quickly once authn/authz is back: service resumes within about
  // a second of the dependency's return instead of gRPC's default backoff
  // (up to two minutes).
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(
      address,
      credentials != nullptr ? credentials : grpc::InsecureChannelCredentials(),
      arguments);
}

}  // namespace

RemoteAuth::RemoteAuth(const std::string& authn_address,
                       const std::string& authz_address,
                       const std::string& assertion_audience,
                       std::shared_ptr<grpc::ChannelCredentials> credentials) {
  const Clock* now = SystemClock::Get();
  std::shared_ptr<grpc::Channel> authn = Connect(authn_address, credentials);
  authenticator_ = std::make_unique<RemoteAuthenticator>(
      authn, kCredentialCacheTtl, kCacheCapacity, now);
  if (!authz_address.empty()) {
    authorizer_ = std::make_unique<RemoteAuthorizer>(
        Connect(authz_address, credentials), kDecisionCacheTtl, kCacheCapacity, now);
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
