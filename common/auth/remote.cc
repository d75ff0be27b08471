#include "common/auth/remote.h"

#include "absl/strings/str_cat.h"
#include "common/status/grpc_status.h"

namespace bastion {
namespace {

// Maps a failed call to authn/authz: a verdict (on the credential, or on
// the question itself) passes through, anything else means "could not
// decide".
absl::Status FromRemote(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return FromGrpcStatus(status);
  }
  return absl::UnavailableError(
      absl::StrCat("dependency failed: ", status.error_message()));
}

}  // namespace

RemoteAuthenticator::RemoteAuthenticator(std::shared_ptr<grpc::Channel> authn,
                                         absl::Duration max_ttl,
                                         size_t capacity, const Clock* clock)
    : stub_(authn::v1::Authn::NewStub(std::move(authn))),
      max_ttl_(max_ttl),
      clock_(clock),
      cache_(capacity) {}

absl::StatusOr<Caller> RemoteAuthenticator::Authenticate(
    absl::string_view credential) {
  const std::string key = Sha256(credential);
  if (key.empty()) return absl::UnavailableError("digest failed");
  const absl::Time now = clock_->Now();
  const auto cached = cache_.Find(key, now);
  if (cached.value.has_value() && !cached.refresh) return **cached.value;

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(now + kAuthCallTimeout));
  authn::v1::AuthenticateRequest request;
  request.set_credential(std::string(credential));
  authn::v1::AuthenticateResponse response;
  const grpc::Status status = stub_->Authenticate(&context, request, &response);
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      // authn could not take the credential as a request at all: a bad
      // credential, never an outage.
      cache_.Drop(key);
      return absl::UnauthenticatedError("credential refused as malformed");
    }
    if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      cache_.Drop(key);  // e.g. revoked: stop using it at once
    } else if (cached.value.has_value()) {
      // authn unreachable while refreshing ahead: the entry is still
      // within its lifetime, so it may serve until then.
      cache_.RefreshFailed(key);
      return **cached.value;
    }
    return FromRemote(status);
  }
  auto caller = std::make_shared<const Caller>(Caller{response.principal(), response.assertion(),
                Sha256(response.assertion())});
  // An assertion is handed out again only while it will still verify at
  // authz a moment later (kAssertionReuseMargin before its end).
  const absl::Time expires = std::min(
      {now + max_ttl_,
       absl::FromUnixSeconds(response.assertion_expires_at_unix()) -
           kAssertionReuseMargin,
       absl::FromUnixSeconds(response.principal().expires_at_unix())});
  if (expires > now) cache_.Put(key, caller, now, expires);
  return *caller;
}

RemoteAuthorizer::RemoteAuthorizer(std::shared_ptr<grpc::Channel> authz,
                                   absl::Duration max_ttl, size_t capacity,
                                   const Clock* clock)
    : stub_(authz::v1::Authz::NewStub(std::move(authz))),
      max_ttl_(max_ttl),
      clock_(clock),
      cache_(capacity) {}

absl::StatusOr<AuthzDecision> RemoteAuthorizer::Check(
    const Caller& caller, const PermissionRequest& wanted) {
  const std::string& assertion_digest = caller.assertion_digest.empty()
                                            ? Sha256(caller.assertion)
                                            : caller.assertion_digest;
  // Length-prefixed parts so no two requests share a key.
  const std::string key = absl::StrCat(
      assertion_digest, wanted.resource.size(), ":", wanted.resource,
      wanted.action.size(), ":", wanted.action, wanted.resource_id.size(), ":",
      wanted.resource_id);
  const absl::Time now = clock_->Now();
  auto cached = cache_.Find(key, now);
  if (cached.value.has_value() && !cached.refresh) {
    return *std::move(cached.value);
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
  if (!status.ok()) {
    if (cached.value.has_value() &&
        status.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
      cache_.RefreshFailed(key);
      return *cached.value;
    }
    cache_.Drop(key);
    return FromRemote(status);
  }
  AuthzDecision decision{
      response.decision() == authz::v1::DECISION_ALLOW, response.reason(),
      response.policy_version(), AdminLevelFromName(response.admin_level()),
      response.approver()};
  const absl::Time expires =
      std::min(now + max_ttl_,
               absl::FromUnixSeconds(caller.principal.expires_at_unix()));
  cache_.Put(key, decision, now, expires);
  return decision;
}

}  // namespace bastion
