#include "bench/enforcement/proto_remote.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"

namespace bastion::bench {
namespace {

// As in common/auth/remote.cc.
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

// As in common/auth/remote.cc.
absl::Status FromRemote(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return FromGrpcStatus(status);
  }
  return absl::UnavailableError(
      absl::StrCat("dependency failed: ", status.error_message()));
}

// When one call should start asking again: after 80% of the lifetime.
absl::Time RefreshAt(absl::Time now, absl::Time expires) {
  return now + (expires - now) * 4 / 5;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

}  // namespace

Sha256Hasher::Sha256Hasher() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}

Sha256Hasher::~Sha256Hasher() { EVP_MD_free(md_); }

std::string Sha256Hasher::operator()(absl::string_view data) const {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(
      EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (md_ == nullptr || context == nullptr ||
      EVP_DigestInit_ex2(context.get(), md_, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    return Sha256(data);  // the reference implementation
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

ProtoRemoteAuthenticator::ProtoRemoteAuthenticator(
    std::shared_ptr<grpc::Channel> authn, absl::Duration max_ttl,
    size_t capacity, NowFunction now)
    : stub_(authn::v1::Authn::NewStub(std::move(authn))),
      max_ttl_(max_ttl),
      capacity_(capacity),
      now_(std::move(now)) {}

absl::StatusOr<ProtoRemoteAuthenticator::Entry> ProtoRemoteAuthenticator::Fetch(
    absl::string_view credential, absl::Time now) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(now + kAuthCallTimeout));
  authn::v1::AuthenticateRequest request;
  request.set_credential(std::string(credential));
  authn::v1::AuthenticateResponse response;
  const grpc::Status status = stub_->Authenticate(&context, request, &response);
  if (!status.ok()) return FromRemote(status);

  auto caller = std::make_shared<SharedCaller>();
  caller->caller = Caller{response.principal(), response.assertion()};
  caller->assertion_digest = sha256_(response.assertion());
  const absl::Time expires =
      std::min({now + max_ttl_,
                absl::FromUnixSeconds(response.assertion_expires_at_unix()),
                absl::FromUnixSeconds(response.principal().expires_at_unix())});
  return Entry{std::move(caller), expires, RefreshAt(now, expires)};
}

absl::StatusOr<std::shared_ptr<const SharedCaller>>
ProtoRemoteAuthenticator::Authenticate(absl::string_view credential) {
  const std::string key = sha256_(credential);
  const absl::Time now = now_();
  {
    absl::MutexLock lock(&mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      Entry& entry = it->second;
      if (entry.expires > now) {
        if (now < entry.refresh_at || entry.refreshing) return entry.caller;
        entry.refreshing = true;  // this call refreshes it
      } else {
        cache_.erase(it);
      }
    }
  }
  absl::StatusOr<Entry> fetched = Fetch(credential, now);
  absl::MutexLock lock(&mutex_);
  if (!fetched.ok()) {
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (fetched.status().code() != absl::StatusCode::kUnauthenticated &&
          it->second.expires > now_()) {
        it->second.refreshing = false;  // the next call retries
        return it->second.caller;
      }
      cache_.erase(it);  // revoked: stop now, not at expiry
    }
    return fetched.status();
  }
  MakeRoom(cache_, capacity_, now);
  std::shared_ptr<const SharedCaller> caller = fetched->caller;
  cache_[key] = *std::move(fetched);
  return caller;
}

ProtoRemoteAuthorizer::ProtoRemoteAuthorizer(
    std::shared_ptr<grpc::Channel> authz, absl::Duration max_ttl,
    size_t capacity, NowFunction now)
    : stub_(authz::v1::Authz::NewStub(std::move(authz))),
      max_ttl_(max_ttl),
      capacity_(capacity),
      now_(std::move(now)) {}

absl::StatusOr<ProtoRemoteAuthorizer::Entry> ProtoRemoteAuthorizer::Fetch(
    const Caller& caller, const PermissionRequest& wanted, absl::Time now) {
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

  auto decision = std::make_shared<const AuthzDecision>(
      AuthzDecision{response.decision() == authz::v1::DECISION_ALLOW,
                    response.reason(), response.policy_version()});
  const absl::Time expires =
      std::min(now + max_ttl_,
               absl::FromUnixSeconds(caller.principal.expires_at_unix()));
  return Entry{std::move(decision), expires, RefreshAt(now, expires)};
}

absl::StatusOr<std::shared_ptr<const AuthzDecision>>
ProtoRemoteAuthorizer::Check(const SharedCaller& caller,
                             const PermissionRequest& wanted) {
  // The digest has a fixed size; the other parts are length-prefixed.
  const std::string key =
      absl::StrCat(caller.assertion_digest, wanted.resource.size(), ":",
                   wanted.resource, wanted.action.size(), ":", wanted.action,
                   wanted.resource_id.size(), ":", wanted.resource_id);
  const absl::Time now = now_();
  {
    absl::MutexLock lock(&mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      Entry& entry = it->second;
      if (entry.expires > now) {
        if (now < entry.refresh_at || entry.refreshing) return entry.decision;
        entry.refreshing = true;  // this call refreshes it
      } else {
        cache_.erase(it);
      }
    }
  }
  absl::StatusOr<Entry> fetched = Fetch(caller.caller, wanted, now);
  absl::MutexLock lock(&mutex_);
  if (!fetched.ok()) {
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.expires > now_()) {
        it->second.refreshing = false;  // the next call retries
        return it->second.decision;
      }
      cache_.erase(it);
    }
    return fetched.status();
  }
  MakeRoom(cache_, capacity_, now);
  std::shared_ptr<const AuthzDecision> decision = fetched->decision;
  cache_[key] = *std::move(fetched);
  return decision;
}

}  // namespace bastion::bench
