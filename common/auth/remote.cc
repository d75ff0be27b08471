#include "common/auth/remote.h"

#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"

namespace bastion {
namespace {

// Keeps a cache within capacity: expired entries go first; if none expired,
// the whole cache is dropped (simple, bounded, and only costs warm-up).
template <typename Map>
void MakeRoom(Map& cache, size_t capacity, absl::Time now) {
  if (cache.size() < capacity) return;
  for (auto it = cache.begin(); it != cache.end();) {
    if (it->second.expires <= now) {
      cache.erase(it++);
    } else {
      ++it;
    }
  }
  if (cache.size() >= capacity) cache.clear();
}

// Maps a failed call to authn/authz: a verdict passes through, anything
// else means "could not decide".
absl::Status FromRemote(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return FromGrpcStatus(status);
  }
  return absl::UnavailableError(
      absl::StrCat("dependency failed: ", status.error_message()));
}

}  // namespace

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

RemoteAuthenticator::RemoteAuthenticator(std::shared_ptr<grpc::Channel> authn,
                                         absl::Duration max_ttl,
                                         size_t capacity, NowFunction now)
    : stub_(authn::v1::Authn::NewStub(std::move(authn))),
      max_ttl_(max_ttl),
      capacity_(capacity),
      now_(std::move(now)) {}

absl::StatusOr<Caller> RemoteAuthenticator::Authenticate(
    absl::string_view credential) {
  const std::string key = Sha256(credential);
  const absl::Time now = now_();
  {
    absl::MutexLock lock(&mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.expires > now) return it->second.caller;
      cache_.erase(it);
    }
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(now + kAuthCallTimeout));
  authn::v1::AuthenticateRequest request;
  request.set_credential(std::string(credential));
  authn::v1::AuthenticateResponse response;
  const grpc::Status status = stub_->Authenticate(&context, request, &response);
  if (!status.ok()) return FromRemote(status);

  Caller caller{response.principal(), response.assertion()};
  const absl::Time expires = std::min(
      {now + max_ttl_,
       absl::FromUnixSeconds(response.assertion_expires_at_unix()),
       absl::FromUnixSeconds(response.principal().expires_at_unix())});
  absl::MutexLock lock(&mutex_);
  MakeRoom(cache_, capacity_, now);
  cache_[key] = Entry{caller, expires};
  return caller;
}

RemoteAuthorizer::RemoteAuthorizer(std::shared_ptr<grpc::Channel> authz,
                                   absl::Duration max_ttl, size_t capacity,
                                   NowFunction now)
    : stub_(authz::v1::Authz::NewStub(std::move(authz))),
      max_ttl_(max_ttl),
      capacity_(capacity),
      now_(std::move(now)) {}

absl::StatusOr<AuthzDecision> RemoteAuthorizer::Check(
    const Caller& caller, const PermissionRequest& wanted) {
  // Length-prefixed parts so no two requests share a key.
  const std::string key = Sha256(absl::StrCat(
      caller.assertion.size(), ":", caller.assertion, wanted.resource.size(),
      ":", wanted.resource, wanted.action.size(), ":", wanted.action,
      wanted.resource_id.size(), ":", wanted.resource_id));
  const absl::Time now = now_();
  {
    absl::MutexLock lock(&mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.expires > now) return it->second.decision;
      cache_.erase(it);
    }
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(now + kAuthCallTimeout));
  context.AddMetadata(kPrincipalMetadataKey, caller.assertion);
  authz::v1::CheckRequest request;
  request.set_assertion(caller.assertion);
  request.set_resource(wanted.resource);
  request.set_action(wanted.action);
  request.set_resource_id(wanted.resource_id);
  authz::v1::CheckResponse response;
  const grpc::Status status = stub_->Check(&context, request, &response);
  if (!status.ok()) return FromRemote(status);

  AuthzDecision decision{
      response.decision() == authz::v1::DECISION_ALLOW, response.reason(),
      response.policy_version()};
  const absl::Time expires =
      std::min(now + max_ttl_,
               absl::FromUnixSeconds(caller.principal.expires_at_unix()));
  absl::MutexLock lock(&mutex_);
  MakeRoom(cache_, capacity_, now);
  cache_[key] = Entry{decision, expires};
  return decision;
}

}  // namespace bastion
