// The credential a run acts with: a delegation (authn.v1.Delegations) bound
// to the run, to its owner and to this service as its holder. Exchanged at
// the start of the run while the owner's forwarded assertion is still
// fresh, renewed while the run lives, ended with the run. Every call made
// for the run (data, tools, authz through them) carries the current
// delegation as the owner's assertion.
//
// Renewal (RenewIfDue, before every step of the run):
//   due when less than a third of the grant's life is left, or the last
//   confirmation by authn is older than `check_interval`
//   renewed                            OK, the new grant is used from now on
//   FAILED_PRECONDITION (key revoked, run ended, maximum lifetime over),
//   NOT_FOUND, PERMISSION_DENIED       FAILED_PRECONDITION with a caller-safe
//                                      message; the run must stop
//   anything else (authn unreachable)  OK while the grant is still valid
//                                      (retried at most every kRetryInterval),
//                                      UNAVAILABLE once it expired
// So a revoked API key stops its run at the first step after at most
// check_interval (plus one call to authn).
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_DELEGATION_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_DELEGATION_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.pb.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"
#include "services/run_executor/tools/tool.h"

namespace bastion::runs {

// The seam to authn's Delegations: gRPC in a deployment
// (AuthnDelegationClient), a fake in tests. Every call carries this
// service's own identity, which makes it the delegation's holder.
// Thread-safe. Errors are authn's answers (its messages are written for
// its callers); UNAVAILABLE when authn cannot be reached.
class DelegationClient {
 public:
  virtual ~DelegationClient() = default;
  // `owner` is the run's owner with its forwarded assertion.
  virtual absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) = 0;
  virtual absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) = 0;
  virtual absl::Status End(const std::string& delegation_id) = 0;
  // End for each id, in one call when the client can (authn's
  // EndDelegations); the ids ended, which leave out those not held. This
  // default ends them one by one.
  virtual absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<std::string>& delegation_ids);

  // Schedules (authn's schedule grants): `owner` is the schedule's creator
  // with its forwarded assertion.
  virtual absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) = 0;
  // A run delegation for `run_id` from the grant (its principal and
  // scopes); renewed and ended like any other.
  virtual absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) = 0;
  virtual absl::Status EndScheduleGrant(const std::string& grant_id) = 0;
};

// Calls authn over `channel` (from the service's ChannelFactory, which
// attaches this service's identity).
std::unique_ptr<DelegationClient> AuthnDelegationClient(
    std::shared_ptr<grpc::Channel> channel);

// Thread-safe: the run's thread renews while its tools read Current().
class RunDelegation final : public RunCaller {
 public:
  // Shortest wait between two attempts to renew while authn does not answer.
  static constexpr absl::Duration kRetryInterval = absl::Seconds(1);

  // Exchanges `owner`'s assertion for a delegation for `run_id`. authn's
  // refusal as it answered (UNAVAILABLE when it cannot be reached).
  // `client` and `clock` are not owned and must outlive the delegation.
  static absl::StatusOr<std::unique_ptr<RunDelegation>> Exchange(
      DelegationClient* client, const Caller& owner, const std::string& run_id,
      absl::Duration check_interval, const Clock* clock);

  // A delegation authn already granted to this service for `owner`'s run
  // (ExchangeScheduleForRun); renewed and ended through `client`.
  // UNAVAILABLE for an empty grant.
  static absl::StatusOr<std::unique_ptr<RunDelegation>> FromGrant(
      DelegationClient* client, const common::v1::Principal& owner,
      const authn::v1::DelegationGrant& grant, absl::Duration check_interval,
      const Clock* clock);

  // The delegation's id (the same across renewals).
  const std::string& id() const { return id_; }

  // The owner, carrying the current delegation as its assertion.
  Caller Current() const override;

  // Renews when due (see the file comment). Once it failed, it keeps
  // answering the same failure. When another thread is renewing, answers
  // at once with what is known.
  absl::Status RenewIfDue();

  // Ends the delegation at authn (best effort: a failure is logged; the
  // delegation then ends at the latest with its grant).
  void End();

 private:
  RunDelegation(DelegationClient* client, const common::v1::Principal& owner,
                const authn::v1::DelegationGrant& grant,
                absl::Duration check_interval, const Clock* clock);

  // Takes `grant` as the current one, confirmed at `now`.
  void Adopt(const authn::v1::DelegationGrant& grant, absl::Time now);

  DelegationClient* const client_;
  const std::string id_;
  const absl::Duration check_interval_;
  const Clock* const clock_;
  // Held while a renewal is in flight (never while `mutex_` is).
  std::mutex renewing_;
  // std::mutex rather than absl::Mutex: ThreadSanitizer sees its locking.
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  Caller caller_;
  absl::Time issued_at_;
  absl::Time expires_at_;
  absl::Time confirmed_at_;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Status failed_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_DELEGATION_H_
