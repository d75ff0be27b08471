#include "common/auth/call_guard.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/request_check.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

constexpr absl::string_view kBearerPrefix = "Bearer ";

// JWTs (base64url and dots) and API keys ("bst_" and base64url) are
// printable ASCII without spaces.
bool IsPlausibleCredential(absl::string_view credential) {
  for (char c : credential) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

// authz refusing the call's assertion means the credential ended during the
// call when the credential ends within this margin of now
// (RemoteAuthenticator hands out no assertion closer to its end).
constexpr absl::Duration kCredentialEndMargin = absl::Seconds(2);

// Callers only ever see these generic texts; the precise reason is logged
// and audited.
absl::Status Unauthenticated() {
  return absl::UnauthenticatedError("missing or invalid credentials");
}

absl::Status PermissionDenied() {
  return absl::PermissionDeniedError("permission denied");
}

}  // namespace

absl::Status CallGuard::Deny(absl::Status status, absl::string_view action,
                             const common::v1::Principal* principal,
                             absl::string_view method_name,
                             const common::v1::Permission& permission,
                             absl::string_view resource_id,
                             absl::string_view reason) const {
  const std::string method = FullName(method_name);
  Log(LogLevel::kWarning, "call_denied",
      {{"method", method},
       {"action", action},
       {"tenant", principal != nullptr ? principal->tenant_id() : ""},
       {"subject", principal != nullptr ? principal->subject() : ""},
       {"reason", reason}});
  if (dependencies_.audit != nullptr) {
    AuditRecord record;
    record.tenant_id =
        principal != nullptr ? principal->tenant_id() : kUnauthenticatedTenant;
    record.user_id = principal != nullptr ? principal->subject() : kAnonymousUser;
    record.action = std::string(action);
    record.resource = permission.resource();
    record.resource_id = std::string(resource_id);
    record.method = std::string(method);
    record.reason = std::string(reason);
    dependencies_.audit->Record(std::move(record));
  }
  return status;
}

absl::StatusOr<CallGuard> CallGuard::Create(std::string service_full_name,
                                            GuardDependencies dependencies) {
  // Keyed by method name alone, so a call looks its permission up without
  // building "service/method".
  ASSIGN_OR_RETURN(auto permissions, ReadPermissions(service_full_name));
  return CallGuard(std::move(service_full_name), std::move(permissions),
                   dependencies);
}

void CallGuard::AuditHandlerDenial(const Caller& caller,
                                   absl::string_view method_name,
                                   const google::protobuf::Message& request,
                                   const absl::Status& denial) const {
  auto found = permissions_.find(method_name);
  if (found == permissions_.end() || found->second.permission.public_()) return;
  const bool unauthenticated =
      denial.code() == absl::StatusCode::kUnauthenticated;
  Deny(denial,
       unauthenticated ? "denied.unauthenticated" : "denied.permission",
       &caller.principal, method_name, found->second.permission,
       ExtractResourceId(request, found->second.id_path), denial.message())
      .IgnoreError();
}

std::string CallGuard::FullName(absl::string_view method_name) const {
  return absl::StrCat(service_full_name_, "/", method_name);
}

CallGuard::CallGuard(
    std::string service_full_name,
    absl::flat_hash_map<std::string, MethodPermission> permissions,
    GuardDependencies dependencies)
    : service_full_name_(std::move(service_full_name)),
      permissions_(std::move(permissions)),
      dependencies_(dependencies) {}

absl::StatusOr<Caller> CallGuard::Authenticate(
    const grpc::ServerContextBase& context, bool service_checked_later,
    bool* from_verified_service,
    std::optional<common::v1::Principal>* verified_service) const {
  const auto& metadata = context.client_metadata();
  const size_t bearer_count = metadata.count("authorization");
  const size_t assertion_count = metadata.count(kPrincipalMetadataKey);
  if (bearer_count + assertion_count == 0) {
    return absl::UnauthenticatedError("no credentials");
  }
  if (bearer_count + assertion_count > 1) {
    return absl::UnauthenticatedError("more than one credential entry");
  }
  if (assertion_count == 1) {
    const grpc::string_ref value =
        metadata.find(kPrincipalMetadataKey)->second;
    const absl::string_view assertion(value.data(), value.size());
    if (dependencies_.assertions == nullptr) {
      return absl::UnauthenticatedError("assertions not accepted here");
    }
    // A principal assertion is no bearer credential: only a Bastion service
    // that proves itself may present one for its user.
    std::string calling_service;
    if (!service_checked_later) {
      ASSIGN_OR_RETURN(common::v1::Principal service,
                       VerifyCallingService(context));
      calling_service = service.subject();
      *from_verified_service = true;
      *verified_service = std::move(service);
    } else if (metadata.count(kServiceMetadataKey) == 1) {
      // Internal methods deny a call without a verified service later
      // (PERMISSION_DENIED); a delegation needs its holder's proof now.
      absl::StatusOr<common::v1::Principal> service =
          VerifyCallingService(context);
      if (service.ok()) {
        calling_service = service->subject();
        *verified_service = *std::move(service);
      } else if (service.status().code() == absl::StatusCode::kUnavailable) {
        return service.status();
      }
    }
    ASSIGN_OR_RETURN(
        VerifiedAssertion verified,
        dependencies_.accept_relayed_delegations && !calling_service.empty()
            ? dependencies_.assertions->VerifyRelayed(assertion)
            : dependencies_.assertions->VerifyPresentedBy(assertion,
                                                          calling_service));
    Caller caller{std::move(verified.principal), std::string(assertion)};
    caller.calling_service = std::move(calling_service);
    caller.delegation_id = std::move(verified.delegation_id);
    caller.delegation_run_id = std::move(verified.delegation_run_id);
    return caller;
  }
  const grpc::string_ref value = metadata.find("authorization")->second;
  const absl::string_view header(value.data(), value.size());
  if (!absl::StartsWith(header, kBearerPrefix)) {
    return absl::UnauthenticatedError("authorization scheme is not Bearer");
  }
  const absl::string_view credential = header.substr(kBearerPrefix.size());
  if (credential.empty() || credential.size() > kMaxCredentialBytes) {
    return absl::UnauthenticatedError("credential empty or too large");
  }
  if (!IsPlausibleCredential(credential)) {
    // Never sent on: such bytes could not even form authn's request.
    return absl::UnauthenticatedError(
        "credential holds characters no token or API key has");
  }
  if (dependencies_.authenticator == nullptr) {
    return absl::UnavailableError("no authenticator configured");
  }
  return dependencies_.authenticator->Authenticate(credential);
}

absl::StatusOr<common::v1::Principal> CallGuard::VerifyCallingService(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  if (metadata.count(kServiceMetadataKey) != 1) {
    return absl::UnauthenticatedError(
        "no (or more than one) service assertion: a principal assertion is "
        "accepted only from a verified Bastion service");
  }
  if (dependencies_.services == nullptr) {
    return absl::UnauthenticatedError("no trusted services configured");
  }
  const grpc::string_ref value = metadata.find(kServiceMetadataKey)->second;
  absl::StatusOr<common::v1::Principal> service =
      dependencies_.services->Verify(absl::string_view(value.data(), value.size()));
  if (!service.ok()) {
    if (service.status().code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError("service identity unavailable");
    }
    return absl::UnauthenticatedError(absl::StrCat(
        "service assertion rejected: ", service.status().message()));
  }
  return service;
}

absl::StatusOr<common::v1::Principal> CallGuard::CheckCallingService(
    const grpc::ServerContextBase& context, absl::string_view method_name,
    const common::v1::Permission& permission,
    const common::v1::Principal* user,
    const std::optional<common::v1::Principal>& verified_service) const {
  const bool on_behalf_of_user = user != nullptr;
  auto Denied = [&](absl::string_view why) {
    return Deny(PermissionDenied(), "denied.internal", user, method_name,
                permission, "", why);
  };
  if (on_behalf_of_user &&
      context.client_metadata().count(kPrincipalMetadataKey) != 1) {
    return Denied(
        "internal method: user must be a forwarded assertion, not a bearer "
        "credential");
  }
  absl::StatusOr<common::v1::Principal> service =
      verified_service.has_value() ? *verified_service
                                   : VerifyCallingService(context);
  if (!service.ok()) {
    if (service.status().code() == absl::StatusCode::kUnavailable) {
      return service.status();
    }
    return Denied(absl::StrCat("internal method: ", service.status().message()));
  }
  RETURN_IF_ERROR(CheckGrant(*service, method_name, permission, user));
  return service;
}

absl::Status CallGuard::CheckGrant(const common::v1::Principal& service,
                                   absl::string_view method_name,
                                   const common::v1::Permission& permission,
                                   const common::v1::Principal* user) const {
  const std::string method = FullName(method_name);
  if (dependencies_.services != nullptr &&
      dependencies_.services->MayCall(service.subject(), method)) {
    return absl::OkStatus();
  }
  return Deny(PermissionDenied(), "denied.service_grant",
              user != nullptr ? user : &service, method_name, permission, "",
              absl::StrCat(service.subject(), " may not call ", method));
}

absl::Status CallGuard::DenyUnauthenticated(
    const grpc::ServerContextBase& context, absl::string_view method_name,
    const common::v1::Permission& permission, absl::string_view reason) const {
  if (dependencies_.rate_limiter != nullptr) {
    absl::Status admitted =
        dependencies_.rate_limiter->AdmitUnauthenticated(context);
    if (!admitted.ok()) {
      return Deny(admitted, "denied.rate_limited", nullptr, method_name,
                  permission, "", absl::StrCat(admitted.message(), ": ", reason));
    }
  }
  return Deny(Unauthenticated(), "denied.unauthenticated", nullptr, method_name,
              permission, "", reason);
}

absl::StatusOr<AuthzDecision> CallGuard::AskAuthz(
    const Caller& caller, absl::string_view method_name,
    const common::v1::Permission& permission,
    const PermissionRequest& wanted) const {
  if (dependencies_.authorizer == nullptr) {
    return absl::UnavailableError("no authorizer configured");
  }
  absl::StatusOr<AuthzDecision> decision =
      dependencies_.authorizer->Check(caller, wanted);
  if (decision.ok()) return decision;
  if (decision.status().code() == absl::StatusCode::kInvalidArgument) {
    // authz refused the question itself (e.g. an id it cannot decide):
    // the request is wrong, nothing is down.
    return decision.status();
  }
  if (decision.status().code() == absl::StatusCode::kUnauthenticated &&
      caller.principal.expires_at_unix() != 0 &&
      absl::FromUnixSeconds(caller.principal.expires_at_unix()) <=
          absl::Now() + kCredentialEndMargin) {
    // The credential ended between authn's answer and authz's: a bad
    // credential, not an outage.
    return Deny(Unauthenticated(), "denied.unauthenticated", &caller.principal,
                method_name, permission, wanted.resource_id,
                "credential expired while the call was authorized");
  }
  // Anything else, an UNAUTHENTICATED for a live credential included
  // (authz does not trust this service's key?), means "could not decide".
  Log(LogLevel::kError, "authorization_unavailable",
      {{"method", FullName(method_name)},
       {"code", absl::StatusCodeToString(decision.status().code())},
       {"error", decision.status().message()}});
  return absl::UnavailableError("authorization unavailable");
}

absl::StatusOr<Caller> CallGuard::Authorize(
    const grpc::ServerContextBase& context, absl::string_view method_name,
    const google::protobuf::Message& request) const {
  auto found = permissions_.find(method_name);
  if (found == permissions_.end()) {
    Log(LogLevel::kError, "undeclared_method",
        {{"method", FullName(method_name)}});
    return absl::InternalError("method has no declared permission");
  }
  const common::v1::Permission* permission = &found->second.permission;
  // A malformed request is refused as such before anyone is asked about it.
  RETURN_IF_ERROR(CheckRequest(request, found->second.id_path,
                               permission->id_field()));
  if (permission->public_()) return Caller{};
  if (permission->internal() && permission->resource().empty()) {
    const auto& metadata = context.client_metadata();
    if (metadata.count(kServiceMetadataKey) + metadata.count("authorization") +
            metadata.count(kPrincipalMetadataKey) ==
        0) {
      return DenyUnauthenticated(context, method_name, *permission,
                                 "no credentials");
    }
    ASSIGN_OR_RETURN(common::v1::Principal service,
                     CheckCallingService(context, method_name, *permission,
                                         /*user=*/nullptr,
                                         /*verified_service=*/std::nullopt));
    Caller caller{std::move(service), ""};
    caller.calling_service = caller.principal.subject();
    return caller;
  }

  bool from_verified_service = false;
  std::optional<common::v1::Principal> verified_service;
  absl::StatusOr<Caller> caller =
      Authenticate(context, /*service_checked_later=*/permission->internal(),
                   &from_verified_service, &verified_service);
  if (!caller.ok()) {
    if (caller.status().code() == absl::StatusCode::kUnauthenticated) {
      // A trusted service forwarding a user's assertion that failed (e.g.
      // expired) is not a flood from its address.
      if (from_verified_service) {
        return Deny(Unauthenticated(), "denied.unauthenticated", nullptr,
                    method_name, *permission, "", caller.status().message());
      }
      return DenyUnauthenticated(context, method_name, *permission,
                                 caller.status().message());
    }
    Log(LogLevel::kError, "authentication_unavailable",
        {{"method", FullName(method_name)}, {"error", caller.status().message()}});
    return absl::UnavailableError("authentication unavailable");
  }
  PermissionRequest wanted{permission->resource(), permission->action(),
                           ExtractResourceId(request, found->second.id_path)};
  if (permission->internal()) {
    ASSIGN_OR_RETURN(common::v1::Principal service,
                     CheckCallingService(context, method_name, *permission,
                                         &caller->principal, verified_service));
    caller->calling_service = service.subject();
    // The calling service authorized the user at its edge; authz still
    // decides who the user is here (admin level, approver), so an admin or
    // approver by role is one in every service. Its allow or deny of the
    // declared permission does not matter: no user scope is needed. Nor
    // does the resource id, so the question leaves it out and one answer
    // per user serves every id (a fresh run id each run, otherwise).
    const PermissionRequest who_is_it{permission->resource(),
                                      permission->action(), ""};
    ASSIGN_OR_RETURN(AuthzDecision decision,
                     AskAuthz(*caller, method_name, *permission, who_is_it));
    caller->admin_level = decision.admin_level;
    caller->approver = decision.approver;
    return caller;
  }
  if (!caller->calling_service.empty()) {
    common::v1::Principal service;
    service.set_tenant_id(kServiceTenant);
    service.set_subject(caller->calling_service);
    RETURN_IF_ERROR(CheckGrant(service, method_name, *permission,
                               &caller->principal));
  }
  // A call a verified service makes for its user was counted at the edge
  // that service serves; counting it again here would charge the user twice.
  if (dependencies_.rate_limiter != nullptr && caller->calling_service.empty()) {
    absl::Status admitted = dependencies_.rate_limiter->Admit(caller->principal);
    if (!admitted.ok()) {
      return Deny(admitted, "denied.rate_limited", &caller->principal, method_name,
                  *permission, "", admitted.message());
    }
  }
  if (permission->authenticated_only()) return caller;
  ASSIGN_OR_RETURN(AuthzDecision decision,
                   AskAuthz(*caller, method_name, *permission, wanted));
  if (!decision.allowed) {
    return Deny(PermissionDenied(), "denied.permission", &caller->principal,
                method_name, *permission, wanted.resource_id, decision.reason);
  }
  caller->admin_level = decision.admin_level;
  caller->approver = decision.approver;
  return caller;
}

}  // namespace bastion
