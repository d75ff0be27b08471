// JWT claims validation (RFC 7519 section 4.1 plus Bastion's rules) against
// a policy and an explicit "now"; fills the identity part of VerifiedToken.
// Pure functions: the caller supplies the time from its injected Clock.
#ifndef BASTION_SERVICES_AUTHN_JWT_CLAIMS_H_
#define BASTION_SERVICES_AUTHN_JWT_CLAIMS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "services/authn/jwt/json.h"
#include "services/authn/jwt/verified_token.h"

namespace bastion::authn::jwt {

struct ClaimNames {
  std::string subject = "sub";
  // Array of strings or a space-separated string. "scope" (string) and
  // "permissions" (array) are read as well when present.
  std::string scopes = "scopes";
  std::string tenant = "tenant_id";
  std::string roles = "roles";
};

struct ClaimsPolicy {
  std::vector<std::string> allowed_issuers;  // Required, exact match.
  std::vector<std::string> audiences;        // Any one must be in "aud".
  bool require_audience = true;
  absl::Duration leeway = absl::Seconds(60);
  absl::Duration max_lifetime = absl::Hours(24);
  std::vector<std::string> reserved_subject_prefixes = {
      "bastion:", "system:", "service:"};
  ClaimNames names;
  // Used when the tenant claim is absent; if empty, the claim is required.
  std::string default_tenant;
};

// INVALID_ARGUMENT if the policy cannot be enforced (no issuers, audience
// required but none configured, negative durations, empty claim names).
absl::Status ValidateClaimsPolicy(const ClaimsPolicy& policy);

// Checks `claims` (a JSON object) at time `now`; on success fills subject,
// tenant_id, issuer, token_id, scopes, roles, audiences, expires_at_unix and
// issued_at_unix of `*out`. Rejections are UNAUTHENTICATED with a Reason.
absl::Status ValidateClaims(const JsonValue& claims, const ClaimsPolicy& policy,
                            absl::Time now, VerifiedToken* out);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_CLAIMS_H_
