#include "bench/runs/unsecured_guard.h"

#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace bastion::bench {
namespace {

absl::StatusOr<VerifiedAssertion> ReadAssertion(absl::string_view assertion) {
  common::v1::SignedAssertion signed_assertion;
  common::v1::AssertionClaims claims;
  if (!signed_assertion.ParseFromArray(assertion.data(),
                                       static_cast<int>(assertion.size())) ||
      !claims.ParseFromString(signed_assertion.claims())) {
    return absl::UnauthenticatedError("malformed assertion");
  }
  return VerifiedAssertion{claims.principal(),
                           claims.delegation().delegation_id(),
                           claims.delegation().run_id()};
}

std::vector<std::string> Strings(const nlohmann::json& claims,
                                 const char* name) {
  std::vector<std::string> out;
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_array()) return out;
  for (const nlohmann::json& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

absl::StatusOr<Caller> UnverifiedTokenAuthenticator::Authenticate(
    absl::string_view credential) {
  const std::vector<absl::string_view> parts = absl::StrSplit(credential, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return absl::UnauthenticatedError("not a JWT");
  }
  const nlohmann::json claims =
      nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object() || !claims.contains("sub") ||
      !claims["sub"].is_string() || !claims.contains("tenant_id") ||
      !claims["tenant_id"].is_string()) {
    return absl::UnauthenticatedError("no sub or tenant_id");
  }
  Caller caller;
  common::v1::Principal& principal = caller.principal;
  principal.set_tenant_id(claims["tenant_id"].get<std::string>());
  principal.set_subject(claims["sub"].get<std::string>());
  for (std::string& scope : Strings(claims, "scopes")) {
    principal.add_scopes(std::move(scope));
  }
  for (std::string& role : Strings(claims, "roles")) {
    principal.add_roles(std::move(role));
  }
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  if (claims.contains("iss") && claims["iss"].is_string()) {
    principal.set_issuer(claims["iss"].get<std::string>());
  }
  if (claims.contains("exp") && claims["exp"].is_number_integer()) {
    principal.set_expires_at_unix(claims["exp"].get<int64_t>());
  }
  common::v1::AssertionClaims assertion_claims;
  *assertion_claims.mutable_principal() = principal;
  assertion_claims.add_audiences(kDefaultAudience);
  assertion_claims.set_issued_at_unix(absl::ToUnixSeconds(absl::Now()));
  assertion_claims.set_expires_at_unix(principal.expires_at_unix());
  common::v1::SignedAssertion assertion;
  assertion.set_claims(assertion_claims.SerializeAsString());
  assertion.set_key_id("unsigned");
  caller.assertion = assertion.SerializeAsString();
  return caller;
}

absl::StatusOr<common::v1::Principal> UnverifiedAssertions::Verify(
    absl::string_view assertion) {
  absl::StatusOr<VerifiedAssertion> read = ReadAssertion(assertion);
  if (!read.ok()) return read.status();
  return std::move(read->principal);
}

absl::StatusOr<VerifiedAssertion> UnverifiedAssertions::VerifyPresentedBy(
    absl::string_view assertion, absl::string_view) {
  return ReadAssertion(assertion);
}

absl::StatusOr<VerifiedAssertion> UnverifiedAssertions::VerifyRelayed(
    absl::string_view assertion) {
  return ReadAssertion(assertion);
}

absl::StatusOr<AuthzDecision> AllowAllAuthorizer::Check(
    const Caller&, const PermissionRequest&) {
  AuthzDecision decision;
  decision.allowed = true;
  decision.reason = "benchmark: authorization off";
  return decision;
}

LocalGuardParts UnsecuredGuard::Apply(LocalGuardParts parts) {
  parts.authenticator = &authenticator_;
  parts.assertions = &assertions_;
  parts.authorizer = &authorizer_;
  return parts;
}

namespace {

authn::v1::DelegationGrant GrantOf(const std::string& id,
                                   const std::string& assertion) {
  authn::v1::DelegationGrant grant;
  grant.set_delegation_id(id);
  grant.set_delegation(assertion);
  const int64_t far = absl::ToUnixSeconds(absl::Now() + absl::Hours(24));
  grant.set_expires_at_unix(far);
  grant.set_renewable_until_unix(far);
  return grant;
}

// "<prefix>" and 128 random bits in hex, as authn's ids.
std::string RandomId(const char* prefix) {
  absl::BitGen random;
  return absl::StrFormat("%s%016x%016x", prefix, absl::Uniform<uint64_t>(random),
                         absl::Uniform<uint64_t>(random));
}

}  // namespace

absl::StatusOr<authn::v1::DelegationGrant>
PassThroughDelegations::ExchangeForRun(const Caller& owner,
                                       const std::string& run_id) {
  (void)run_id;
  const std::string id = RandomId("dlg_");
  absl::MutexLock lock(&mutex_);
  assertions_[id] = owner.assertion;
  return GrantOf(id, owner.assertion);
}

absl::StatusOr<authn::v1::ScheduleGrant>
PassThroughDelegations::ExchangeForSchedule(const Caller& owner,
                                            const std::string& schedule_id) {
  (void)schedule_id;
  authn::v1::ScheduleGrant grant;
  grant.set_grant_id(RandomId("sgr_"));
  absl::MutexLock lock(&mutex_);
  assertions_[grant.grant_id()] = owner.assertion;
  return grant;
}

absl::StatusOr<authn::v1::DelegationGrant>
PassThroughDelegations::ExchangeScheduleForRun(const std::string& grant_id,
                                               const std::string& run_id) {
  (void)run_id;
  const std::string id = RandomId("dlg_");
  absl::MutexLock lock(&mutex_);
  auto found = assertions_.find(grant_id);
  if (found == assertions_.end()) return absl::NotFoundError("no grant");
  assertions_[id] = found->second;
  return GrantOf(id, found->second);
}

absl::Status PassThroughDelegations::EndScheduleGrant(
    const std::string& grant_id) {
  absl::MutexLock lock(&mutex_);
  assertions_.erase(grant_id);
  return absl::OkStatus();
}

absl::StatusOr<authn::v1::DelegationGrant> PassThroughDelegations::Renew(
    const std::string& delegation_id) {
  absl::MutexLock lock(&mutex_);
  auto found = assertions_.find(delegation_id);
  if (found == assertions_.end()) return absl::NotFoundError("no delegation");
  return GrantOf(delegation_id, found->second);
}

absl::Status PassThroughDelegations::End(const std::string& delegation_id) {
  absl::MutexLock lock(&mutex_);
  assertions_.erase(delegation_id);
  return absl::OkStatus();
}

absl::StatusOr<LocalGuardParts> PartsFromArgs(int argc, char** argv,
                                              UnsecuredGuard* guard,
                                              LocalGuardParts parts) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--security=off") {
      parts = guard->Apply(std::move(parts));
    } else if (arg != "--security=on") {
      return absl::InvalidArgumentError("benchmark build: unknown argument " +
                                        arg);
    }
  }
  return parts;
}

absl::StatusOr<runs::ToolVerdict> AllowAllTools::Check(
    const Caller&, const std::string&, const std::string&) const {
  runs::ToolVerdict verdict;
  verdict.allowed = true;
  return verdict;
}

}  // namespace bastion::bench
