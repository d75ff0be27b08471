#include "bench/enforcement/proto_guard.h"

#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion::bench {
namespace {

constexpr absl::string_view kBearerPrefix = "Bearer ";

// As in common/auth/call_guard.cc; the method string is built only here.
absl::Status Unauthenticated(absl::string_view service,
                             absl::string_view method, absl::string_view why) {
  Log(LogLevel::kWarning, "call_unauthenticated",
      {{"method", absl::StrCat(service, "/", method)}, {"reason", why}});
  return absl::UnauthenticatedError("missing or invalid credentials");
}

absl::Status Denied(absl::string_view service, absl::string_view method,
                    absl::string_view why) {
  Log(LogLevel::kWarning, "call_denied",
      {{"method", absl::StrCat(service, "/", method)}, {"reason", why}});
  return absl::PermissionDeniedError("permission denied");
}

}  // namespace

absl::StatusOr<ProtoCallGuard> ProtoCallGuard::Create(
    const std::string& service_full_name,
    ProtoRemoteAuthenticator* authenticator,
    ProtoRemoteAuthorizer* authorizer) {
  ProtoCallGuard guard;
  guard.service_full_name_ = service_full_name;
  ASSIGN_OR_RETURN(guard.permissions_, ReadPermissions(service_full_name));
  guard.authenticator_ = authenticator;
  guard.authorizer_ = authorizer;
  return guard;
}

absl::StatusOr<std::shared_ptr<const SharedCaller>> ProtoCallGuard::Authorize(
    const grpc::ServerContextBase& context, absl::string_view method_name,
    const google::protobuf::Message& request) const {
  auto found = permissions_.find(method_name);
  if (found == permissions_.end()) {
    return absl::InternalError("method has no declared permission");
  }
  const common::v1::Permission& permission = found->second.permission;
  if (permission.public_()) return nullptr;

  const auto& metadata = context.client_metadata();
  if (metadata.count("authorization") != 1 ||
      metadata.count(kPrincipalMetadataKey) != 0) {
    return Unauthenticated(service_full_name_, method_name,
                           "prototype: exactly one bearer credential needed");
  }
  const grpc::string_ref value = metadata.find("authorization")->second;
  absl::string_view credential(value.data(), value.size());
  if (!absl::ConsumePrefix(&credential, kBearerPrefix) || credential.empty() ||
      credential.size() > kMaxCredentialBytes) {
    return Unauthenticated(service_full_name_, method_name,
                           "not a usable Bearer credential");
  }
  absl::StatusOr<std::shared_ptr<const SharedCaller>> caller =
      authenticator_->Authenticate(credential);
  if (!caller.ok()) {
    if (caller.status().code() == absl::StatusCode::kUnauthenticated) {
      return Unauthenticated(service_full_name_, method_name,
                             caller.status().message());
    }
    return absl::UnavailableError("authentication unavailable");
  }
  if (permission.authenticated_only()) return caller;
  if (permission.internal()) {
    return Denied(service_full_name_, method_name,
                  "prototype: internal methods not supported");
  }
  const PermissionRequest wanted{
      permission.resource(), permission.action(),
      ExtractResourceId(request, found->second.id_path)};
  absl::StatusOr<std::shared_ptr<const AuthzDecision>> decision =
      authorizer_->Check(**caller, wanted);
  if (!decision.ok())
    return absl::UnavailableError("authorization unavailable");
  if (!(*decision)->allowed) {
    return Denied(service_full_name_, method_name, (*decision)->reason);
  }
  return caller;
}

grpc::Status ProtoAgentsService::ListAgents(
    grpc::ServerContext* context, const runs::v1::ListAgentsRequest* request,
    runs::v1::ListAgentsResponse* response) {
  return guard_.Run(context, "ListAgents", *request, [&](const Caller&) {
    for (const auto& [id, spec] : registry_->agents()) {
      *response->mutable_agents()->Add() = spec;
    }
    return absl::OkStatus();
  });
}

grpc::Status ProtoAgentsService::GetAgent(
    grpc::ServerContext* context, const runs::v1::GetAgentRequest* request,
    runs::v1::Agent* response) {
  return guard_.Run(context, "GetAgent", *request, [&](const Caller&) {
    absl::StatusOr<runs::v1::Agent> found =
        registry_->FindAgent(request->agent_id());
    if (!found.ok()) return found.status();
    *response = *std::move(found);
    return absl::OkStatus();
  });
}

}  // namespace bastion::bench
