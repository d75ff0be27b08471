#include "common/auth/remote.h"

#include "absl/strings/str_cat.h"
#include "common/ids/resource_id.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
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

// What authz decides from: the principal's content (tenant, subject,
// scopes, roles, credential), not its assertion. Every assertion of the
// same principal (a user's successive ones, each run's delegation) shares
// one decision; only the lifetime differs between them, and is left out.
std::string DecisionDigest(const common::v1::Principal& principal) {
  common::v1::Principal decided_for = principal;
  decided_for.clear_expires_at_unix();
  std::string serialized;
  {
    google::protobuf::io::StringOutputStream out(&serialized);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    decided_for.SerializeToCodedStream(&coded);
  }
  return Sha256(serialized);
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
  auto caller = std::make_shared<const Caller>(
      Caller{response.principal(), response.assertion()});
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
  // Length-prefixed parts so no two requests share a key.
  const std::string prefix =
      absl::StrCat(DecisionDigest(caller.principal), wanted.resource.size(), ":",
                   wanted.resource, wanted.action.size(), ":", wanted.action);
  const std::string key = absl::StrCat(prefix, wanted.resource_id.size(), ":",
                                       wanted.resource_id);
  // An allow authz said holds for every id (AuthzDecision.any_resource_id).
  const std::string any_id_key = absl::StrCat(prefix, "*");
  const absl::Time now = clock_->Now();
  RefreshingCache<AuthzDecision>::Lookup cached;
  if (!wanted.fresh) cached = cache_.Find(key, now);
  if (cached.value.has_value() && !cached.refresh) {
    return *std::move(cached.value);
  }
  if (!wanted.fresh && !cached.value.has_value() &&
      !wanted.resource_id.empty() && IsValidResourceId(wanted.resource_id)) {
    auto any_id = cache_.Find(any_id_key, now);
    if (any_id.value.has_value() && !any_id.refresh) {
      return *std::move(any_id.value);
    }
    if (any_id.refresh) cache_.RefreshFailed(any_id_key);
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
      response.approver(),
      response.decision() == authz::v1::DECISION_ALLOW &&
          response.any_resource_id()};
  const absl::Time expires =
      std::min(now + max_ttl_,
               absl::FromUnixSeconds(caller.principal.expires_at_unix()));
  cache_.Put(key, decision, now, expires);
  if (decision.any_resource_id && !wanted.resource_id.empty()) {
    cache_.Put(any_id_key, decision, now, expires);
  }
  return decision;
}

}  // namespace bastion
