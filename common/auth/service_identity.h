// Service identity: how one Bastion service proves to another that the call
// comes from a Bastion service (not from a user holding a token), which
// `internal` RPCs require on top of the user's own assertion (no confused
// deputy). Each service signs short-lived service assertions with its own
// Ed25519 key; receivers trust a configured set of services, each for the
// methods listed for it (trusted_services.h).
#ifndef BASTION_COMMON_AUTH_SERVICE_IDENTITY_H_
#define BASTION_COMMON_AUTH_SERVICE_IDENTITY_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/assertion/signer.h"
#include "common/auth/caller.h"

namespace bastion {

// A service's signing key and the assertion it presents. Thread-safe.
class ServiceIdentity {
 public:
  // Loads the key at `key_file`, generating it (mode 0600) on first start.
  static absl::StatusOr<std::unique_ptr<ServiceIdentity>> LoadOrGenerate(
      const std::string& key_file, const std::string& service_name);

  // A serialized SignedAssertion for this service, valid for 5 minutes and
  // reused until less than one minute is left.
  absl::StatusOr<std::string> Assertion(absl::Time now);

  common::v1::AssertionKey PublicKey() const { return signer_.PublicKey(); }
  const std::string& name() const { return name_; }

 private:
  ServiceIdentity(assertion::AssertionSigner signer, std::string name)
      : signer_(std::move(signer)), name_(std::move(name)) {}

  const assertion::AssertionSigner signer_;
  const std::string name_;
  absl::Mutex mutex_;
  std::string cached_ ABSL_GUARDED_BY(mutex_);
  absl::Time cached_expiry_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

// Puts the user's assertion on a call made on that user's behalf. The
// principal is passed explicitly, never taken from thread-local state, so
// this is a call per RPC rather than part of the interceptor.
// FAILED_PRECONDITION when the caller has no assertion to forward.
absl::Status ForwardCaller(const Caller& caller, grpc::ClientContext* context);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_SERVICE_IDENTITY_H_
