#include "common/auth/remote_wiring.h"

#include "absl/time/clock.h"

namespace bastion {
namespace {

constexpr size_t kCacheCapacity = 100000;

std::shared_ptr<grpc::Channel> Connect(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

}  // namespace

RemoteAuth::RemoteAuth(const std::string& authn_address,
                       const std::string& authz_address)
    : authenticator_(std::make_unique<RemoteAuthenticator>(
          Connect(authn_address), kCredentialCacheTtl, kCacheCapacity,
          [] { return absl::Now(); })),
      authorizer_(std::make_unique<RemoteAuthorizer>(
          Connect(authz_address), kDecisionCacheTtl, kCacheCapacity,
          [] { return absl::Now(); })) {}

GuardDependencies RemoteAuth::dependencies() {
  GuardDependencies dependencies;
  dependencies.authenticator = authenticator_.get();
  dependencies.authorizer = authorizer_.get();
  return dependencies;
}

}  // namespace bastion
