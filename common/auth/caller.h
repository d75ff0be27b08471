// The seams through which a service learns who is calling and whether that
// caller may do what it asks. Each is replaced by a local implementation in
// the service that owns the decision (authn, authz), by a remote client
// everywhere else, and by small fakes in tests.
#ifndef BASTION_COMMON_AUTH_CALLER_H_
#define BASTION_COMMON_AUTH_CALLER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/admin_level.h"

namespace grpc {
class ServerContextBase;
}  // namespace grpc

namespace bastion {

// Metadata entry carrying a serialized SignedAssertion between services.
inline constexpr char kPrincipalMetadataKey[] = "x-bastion-principal-bin";
// Metadata entry carrying the calling service's own SignedAssertion
// (internal methods only; see service_identity.h).
inline constexpr char kServiceMetadataKey[] = "x-bastion-service-bin";
// Tenant and subject prefix of service principals.
inline constexpr char kServiceTenant[] = "bastion";
inline constexpr char kServiceSubjectPrefix[] = "service:";

// The suite's default audience, for tokens and for principal assertions.
inline constexpr char kDefaultAudience[] = "bastion";

inline std::string AudienceOrDefault(const std::string& configured) {
  return configured.empty() ? kDefaultAudience : configured;
}

// Largest bearer credential accepted.
inline constexpr size_t kMaxCredentialBytes = 8 * 1024;

// A verified caller: the principal and the assertion that proves it to
// other services.
struct Caller {
  common::v1::Principal principal;
  // Serialized bastion.common.v1.SignedAssertion.
  std::string assertion;
  // The admin level authz decided for this call (from the principal's
  // scopes and roles); empty when authz was not asked (public,
  // authenticated-only methods, and a service's own internal calls).
  std::optional<AdminLevel> admin_level = std::nullopt;
  // Whether authz decided the principal is an approver (AuthzDecision);
  // false when authz was not asked.
  bool approver = false;
  // The verified Bastion service that made this call on the principal's
  // behalf (its subject, e.g. "service:run_executor"); empty when the
  // principal called itself.
  std::string calling_service = {};
  // Set when `assertion` is a delegation (authn.v1.Delegations) presented
  // by its holder, `calling_service`: the delegation's id and the one run
  // it acts for. Run-scoped records of any other run are NOT_FOUND to it.
  std::string delegation_id = {};
  std::string delegation_run_id = {};
};

// A verified principal assertion, and what makes it a delegation when it is
// one (both empty otherwise).
struct VerifiedAssertion {
  common::v1::Principal principal;
  std::string delegation_id;
  std::string delegation_run_id;
};

// Turns a bearer credential (JWT or API key) into a Caller.
// UNAUTHENTICATED for a bad credential, UNAVAILABLE when it cannot decide.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual absl::StatusOr<Caller> Authenticate(absl::string_view credential) = 0;
};

// Verifies a principal assertion received from another service.
// UNAUTHENTICATED when it does not verify, UNAVAILABLE when keys are
// unreachable.
class AssertionAuthenticator {
 public:
  virtual ~AssertionAuthenticator() = default;
  // A delegation is refused here: it is worth something only together with
  // its holder's proof (VerifyPresentedBy).
  virtual absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) = 0;
  // Verifies an assertion presented in a call that `calling_service` (a
  // verified service subject; empty when none proved itself) makes: a
  // delegation is accepted only when that service is its holder. An
  // implementation that does not know delegations accepts what Verify does.
  virtual absl::StatusOr<VerifiedAssertion> VerifyPresentedBy(
      absl::string_view assertion, absl::string_view calling_service) {
    (void)calling_service;
    absl::StatusOr<common::v1::Principal> principal = Verify(assertion);
    if (!principal.ok()) return principal.status();
    return VerifiedAssertion{*std::move(principal), "", ""};
  }
  // Like VerifyPresentedBy, but a delegation is accepted from whichever
  // verified service relays it. Only for a service whose methods answer
  // questions about the caller itself and change nothing (authz's Check: a
  // service deciding a delegated call asks authz with the delegation).
  virtual absl::StatusOr<VerifiedAssertion> VerifyRelayed(
      absl::string_view assertion) {
    absl::StatusOr<common::v1::Principal> principal = Verify(assertion);
    if (!principal.ok()) return principal.status();
    return VerifiedAssertion{*std::move(principal), "", ""};
  }
};

// Verifies the calling Bastion service's own assertion (kServiceMetadataKey)
// and says which methods that service may call (trusted_services.h).
class ServiceAuthenticator {
 public:
  virtual ~ServiceAuthenticator() = default;
  // The service's principal (subject "service:<name>"). UNAUTHENTICATED
  // when the assertion does not verify against a trusted service's key,
  // UNAVAILABLE when it cannot be checked.
  virtual absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) = 0;
  // True when the service `subject` (as Verify returned it) may call
  // `full_method` ("<package>.<Service>/<Method>").
  virtual bool MayCall(absl::string_view subject,
                       absl::string_view full_method) const = 0;
};

// What a call needs: resource, action and the id it touches (may be empty).
struct PermissionRequest {
  std::string resource;
  std::string action;
  std::string resource_id;
  // Decide under the policy as it is now, never from a cached decision
  // (a decision made at one moment: a schedule's firing).
  bool fresh = false;
};

struct AuthzDecision {
  bool allowed = false;
  std::string reason;
  int64_t policy_version = 0;
  // The caller's admin level under that policy (its scopes and roles).
  AdminLevel admin_level = AdminLevel::kNone;
  // Whether the caller may resolve other users' approvals of its tenant
  // under that policy (approvals:write for every approval, or an admin).
  bool approver = false;
  // Allowed for every id of the resource, not only the one asked about.
  bool any_resource_id = false;
};

// Admits or refuses calls by their rate (rate_limiter.h).
// RESOURCE_EXHAUSTED when over the limit.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // One call of an authenticated principal.
  virtual absl::Status Admit(const common::v1::Principal& principal) = 0;
  // One call that failed authentication, counted against the client address
  // it came from.
  virtual absl::Status AdmitUnauthenticated(
      const grpc::ServerContextBase& context) = 0;
};

// Decides a permission for a caller. A decision (allow or deny) is OK; an
// error means "could not decide" and the call fails closed with it.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual absl::StatusOr<AuthzDecision> Check(
      const Caller& caller, const PermissionRequest& request) = 0;
};

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_CALLER_H_
