// Enforcement for one gRPC service: before a handler does any work, the
// guard authenticates the call, checks the permission its proto declares,
// and hands the handler a typed Caller.
#ifndef BASTION_COMMON_AUTH_CALL_GUARD_H_
#define BASTION_COMMON_AUTH_CALL_GUARD_H_

#include <optional>
#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/audit_sink.h"
#include "common/auth/caller.h"
#include "common/server/permission_table.h"
#include "common/status/grpc_status.h"
#include "google/protobuf/message.h"

namespace bastion {

// Non-owning; everything must outlive the guard. A missing dependency makes
// the calls that need it fail closed: no authorizer -> UNAVAILABLE for
// permission checks; no service verifier -> every internal method denied.
struct GuardDependencies {
  Authenticator* authenticator = nullptr;
  AssertionAuthenticator* assertions = nullptr;
  Authorizer* authorizer = nullptr;
  // Verifies the calling service's own assertion (kServiceMetadataKey), and
  // says which methods each trusted service may call; null = no service
  // trusted (every internal method denied, every forwarded assertion
  // refused).
  ServiceAuthenticator* services = nullptr;
  // Per-principal request rates, and calls that fail authentication per
  // client address; null = unlimited. Not applied to calls a verified
  // service makes for its user (that service's edge already counted them).
  RateLimiter* rate_limiter = nullptr;
  // Receives every denial; null = denials are only logged.
  AuditSink* audit = nullptr;
  // Accept a delegation relayed by any verified trusted service, not only
  // by its holder (AssertionAuthenticator::VerifyRelayed). Only authz sets
  // it: its Check answers about the caller itself and changes nothing, and
  // a service deciding a delegated call asks it with the delegation.
  bool accept_relayed_delegations = false;
};

// Thread-safe: immutable after Create; the dependencies are thread-safe.
class CallGuard {
 public:
  // Reads the permissions of `service_full_name` from its descriptor; fails
  // (FAILED_PRECONDITION) if any method is unannotated.
  static absl::StatusOr<CallGuard> Create(std::string service_full_name,
                                          GuardDependencies dependencies);

  // Checks, authenticates and authorizes one call of `method_name`:
  //   a resource id outside the id grammar (request_check.h)
  //                                   -> INVALID_ARGUMENT naming the field,
  //                                      before any dependency is asked
  //   no or malformed credential      -> UNAUTHENTICATED
  //   a principal assertion without a verified calling service (a bare
  //   client replaying the assertion authn gave it) -> UNAUTHENTICATED
  //   a delegation not presented by its holder service (a user, or any
  //   other service, internal methods included) -> UNAUTHENTICATED
  //   failed authentication, from a client address over its limit of such
  //   calls                           -> RESOURCE_EXHAUSTED
  //   over the principal's rate limit -> RESOURCE_EXHAUSTED
  //   permission not held             -> PERMISSION_DENIED
  //   internal method without a verified calling service -> PERMISSION_DENIED
  //   a verified service calling a method not listed for it (internal, or
  //   with a user's forwarded assertion) -> PERMISSION_DENIED
  //     (internal methods need no user permission: the calling service
  //     checked it at its edge, and the user's principal scopes the work;
  //     authz is still asked, for the user's admin level and approver flag
  //     alone; an internal method without a resource is the service's own
  //     call, and the Caller is the service)
  //   authz refuses the assertion of a credential that ended meanwhile
  //                                   -> UNAUTHENTICATED
  //   authn/authz unreachable, or any other answer than a verdict
  //                                   -> UNAVAILABLE (fail closed)
  //   method without a declaration    -> INTERNAL (deny)
  // Public methods return an empty Caller. A user's Caller carries authz's
  // admin level and approver flag whenever authz was asked (every method
  // with a permission, internal ones included).
  absl::StatusOr<Caller> Authorize(const grpc::ServerContextBase& context,
                                   absl::string_view method_name,
                                   const google::protobuf::Message& request) const;

  // Runs `handler(const Caller&) -> absl::Status` only after Authorize
  // succeeded, and maps the outcome to a grpc::Status. A PERMISSION_DENIED
  // or UNAUTHENTICATED the handler decides (e.g. a scope the caller may not
  // grant) is logged and audited like the guard's own denials.
  template <typename Handler>
  grpc::Status Run(const grpc::ServerContextBase* context,
                   absl::string_view method_name,
                   const google::protobuf::Message& request,
                   Handler&& handler) const {
    absl::StatusOr<Caller> caller = Authorize(*context, method_name, request);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    absl::Status outcome = std::forward<Handler>(handler)(*caller);
    if (IsDenial(outcome)) {
      AuditHandlerDenial(*caller, method_name, request, outcome);
    }
    return ToGrpcStatus(outcome);
  }

 private:
  CallGuard(std::string service_full_name,
            absl::flat_hash_map<std::string, MethodPermission> permissions,
            GuardDependencies dependencies);
  // "<service>/<method>", for logs and the audit log.
  std::string FullName(absl::string_view method_name) const;

  static bool IsDenial(const absl::Status& status) {
    return status.code() == absl::StatusCode::kPermissionDenied ||
           status.code() == absl::StatusCode::kUnauthenticated;
  }
  // Audits a denial a handler decided (public methods excepted: they answer
  // about what they are given, not about the caller).
  void AuditHandlerDenial(const Caller& caller, absl::string_view method_name,
                          const google::protobuf::Message& request,
                          const absl::Status& denial) const;

  // The caller of a bearer credential or of a principal assertion; an
  // assertion needs a verified calling service unless
  // `service_checked_later` (internal methods, whose own check answers
  // PERMISSION_DENIED). Sets `*from_verified_service` once that service is
  // verified here.
  // A delegation counts only when the service verified here is its holder
  // (Caller.delegation_*); `*verified_service` is set to any service
  // verified on the way, so that it is not verified twice.
  absl::StatusOr<Caller> Authenticate(
      const grpc::ServerContextBase& context, bool service_checked_later,
      bool* from_verified_service,
      std::optional<common::v1::Principal>* verified_service) const;
  // The trusted Bastion service that proves itself in kServiceMetadataKey:
  // UNAUTHENTICATED when there is none (or it does not verify), UNAVAILABLE
  // when it cannot be checked.
  absl::StatusOr<common::v1::Principal> VerifyCallingService(
      const grpc::ServerContextBase& context) const;
  // A failed authentication: UNAUTHENTICATED, or RESOURCE_EXHAUSTED once the
  // client address is over its limit of such calls; logged and audited.
  absl::Status DenyUnauthenticated(const grpc::ServerContextBase& context,
                                   absl::string_view method_name,
                                   const common::v1::Permission& permission,
                                   absl::string_view reason) const;
  // Logs a denial and hands it to the audit sink.
  absl::Status Deny(absl::Status status, absl::string_view action,
                    const common::v1::Principal* principal,
                    absl::string_view method_name,
                    const common::v1::Permission& permission,
                    absl::string_view resource_id,
                    absl::string_view reason) const;
  // authz's decision on `wanted` for the caller; a failure mapped as
  // Authorize documents (INVALID_ARGUMENT, UNAUTHENTICATED for a credential
  // that ended meanwhile, else UNAVAILABLE).
  absl::StatusOr<AuthzDecision> AskAuthz(
      const Caller& caller, absl::string_view method_name,
      const common::v1::Permission& permission,
      const PermissionRequest& wanted) const;
  // PERMISSION_DENIED, logged and audited, unless the verified `service`
  // may call `method_name` (acting for `user`, when not null).
  absl::Status CheckGrant(const common::v1::Principal& service,
                          absl::string_view method_name,
                          const common::v1::Permission& permission,
                          const common::v1::Principal* user) const;
  // For internal methods: a verified Bastion service that may call
  // `method_name` is calling; with a `user`, for that user, whose assertion
  // it forwards (not a bearer credential). Returns the service's principal.
  absl::StatusOr<common::v1::Principal> CheckCallingService(
      const grpc::ServerContextBase& context, absl::string_view method_name,
      const common::v1::Permission& permission,
      const common::v1::Principal* user,
      const std::optional<common::v1::Principal>& verified_service) const;

  std::string service_full_name_;
  absl::flat_hash_map<std::string, MethodPermission> permissions_;
  GuardDependencies dependencies_;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_CALL_GUARD_H_
