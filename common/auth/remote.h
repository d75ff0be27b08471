// Clients of authn and authz used by every service that does not own the
// decision, with bounded caches so warm calls make no network round trip.
#ifndef BASTION_COMMON_AUTH_REMOTE_H_
#define BASTION_COMMON_AUTH_REMOTE_H_

#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.grpc.pb.h"
#include "bastion/authz/v1/authz.grpc.pb.h"
#include "common/auth/caller.h"

namespace bastion {

// A clock seam so cache expiry is tested without sleeping.
using NowFunction = std::function<absl::Time()>;

// SHA-256 of `data`, as 32 raw bytes.
std::string Sha256(absl::string_view data);

// Asks authn.Authenticate; caches each answer by the credential's SHA-256
// until the earlier of the assertion's and the credential's expiry (and at
// most `max_ttl`, which bounds how long a revoked API key keeps working
// here). Thread-safe.
class RemoteAuthenticator : public Authenticator {
 public:
  RemoteAuthenticator(std::shared_ptr<grpc::Channel> authn,
                      absl::Duration max_ttl, size_t capacity, NowFunction now);
  absl::StatusOr<Caller> Authenticate(absl::string_view credential) override;

 private:
  struct Entry {
    Caller caller;
    absl::Time expires;
  };
  std::unique_ptr<authn::v1::Authn::Stub> stub_;
  absl::Duration max_ttl_;
  size_t capacity_;
  NowFunction now_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mutex_);
};

// Asks authz.Check; caches decisions per (assertion, permission) for at
// most `max_ttl` (the bound within which a role change takes effect) and
// never past the assertion's expiry. Thread-safe.
class RemoteAuthorizer : public Authorizer {
 public:
  RemoteAuthorizer(std::shared_ptr<grpc::Channel> authz,
                   absl::Duration max_ttl, size_t capacity, NowFunction now);
  absl::StatusOr<AuthzDecision> Check(const Caller& caller,
                                      const PermissionRequest& request) override;

 private:
  struct Entry {
    AuthzDecision decision;
    absl::Time expires;
  };
  std::unique_ptr<authz::v1::Authz::Stub> stub_;
  absl::Duration max_ttl_;
  size_t capacity_;
  NowFunction now_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mutex_);
};

// Deadline for calls to authn and authz.
inline constexpr absl::Duration kAuthCallTimeout = absl::Seconds(2);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_H_
