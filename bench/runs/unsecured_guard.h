// Benchmark-only: the guard's authentication and authorization switched
// off, for the unsecured side of bench/runs. Linked only into the
// benchmark builds of the run-executor and data binaries (bench/runs/BUILD,
// compiled with BASTION_BENCHMARK_ONLY_UNSECURED), never into a service
// target; their configurations cannot name it (run_executor_config_test,
// data_config_test).
//
// What is off:
//   authentication  a bearer JWT's claims are read without checking its
//                   signature, issuer, audience or expiry, and authn is not
//                   asked; the caller's "assertion" is an unsigned
//                   SignedAssertion carrying that principal;
//   assertions      a forwarded assertion's principal is read without
//                   checking its signature (so data takes the run's owner
//                   from the unsigned assertion the run-executor forwards);
//   authorization   every permission is allowed, authz is not asked.
// The rest of the guard (request checks, rate limits, the calling service's
// own signed assertion and its grants) is unchanged.
#ifndef BASTION_BENCH_RUNS_UNSECURED_GUARD_H_
#define BASTION_BENCH_RUNS_UNSECURED_GUARD_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/auth/guard_wiring.h"
#include "services/run_executor/engine/tool_gate.h"
#include "services/run_executor/runs/run_delegation.h"

namespace bastion::bench {

// A JWT's principal without verification. UNAUTHENTICATED when the token
// is not three base64url parts with a JSON object holding sub and
// tenant_id.
class UnverifiedTokenAuthenticator final : public Authenticator {
 public:
  absl::StatusOr<Caller> Authenticate(absl::string_view credential) override;
};

// The principal of a SignedAssertion without checking its signature.
class UnverifiedAssertions final : public AssertionAuthenticator {
 public:
  absl::StatusOr<common::v1::Principal> Verify(
      absl::string_view assertion) override;
  absl::StatusOr<VerifiedAssertion> VerifyPresentedBy(
      absl::string_view assertion, absl::string_view calling_service) override;
  absl::StatusOr<VerifiedAssertion> VerifyRelayed(
      absl::string_view assertion) override;
};

class AllowAllAuthorizer final : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller& caller,
                                      const PermissionRequest& request) override;
};

// Delegations without authn: the run acts with its owner's (unverified)
// assertion as it came, for as long as the run lasts.
class PassThroughDelegations final : public runs::DelegationClient {
 public:
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) override;
  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) override;
  absl::Status End(const std::string& delegation_id) override;
  // A schedule's runs act with its creator's assertion as it came.
  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) override;
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) override;
  absl::Status EndScheduleGrant(const std::string& grant_id) override;

 private:
  absl::Mutex mutex_;
  // Delegation and schedule grant ids -> the owner's assertion.
  std::map<std::string, std::string> assertions_ ABSL_GUARDED_BY(mutex_);
};

// Every tool for everyone, without asking authz; no confirmation or
// approval asked by a tenant's policy.
class AllowAllTools final : public runs::ToolGate {
 public:
  absl::StatusOr<runs::ToolVerdict> Check(
      const Caller& owner, const std::string& run_id,
      const std::string& tool_name) const override;
};

// Owns the three parts; must outlive the GuardWiring they are given to.
class UnsecuredGuard {
 public:
  // `parts` with its authenticator, assertions and authorizer replaced by
  // this object's (its audit writer kept).
  LocalGuardParts Apply(LocalGuardParts parts);

 private:
  UnverifiedTokenAuthenticator authenticator_;
  UnverifiedAssertions assertions_;
  AllowAllAuthorizer authorizer_;
};

// Reads the benchmark's switch from the arguments after the config path:
// none or "--security=on" leaves `parts` as they are, "--security=off"
// applies `guard`; anything else is INVALID_ARGUMENT.
absl::StatusOr<LocalGuardParts> PartsFromArgs(int argc, char** argv,
                                              UnsecuredGuard* guard,
                                              LocalGuardParts parts);

}  // namespace bastion::bench

#endif  // BASTION_BENCH_RUNS_UNSECURED_GUARD_H_
