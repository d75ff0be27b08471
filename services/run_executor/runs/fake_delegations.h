// authn's Delegations for the tests of runs a caller starts: ExchangeForRun
// grants a delegation (id kId, text "delegation-N") living `ttl` by the
// test's clock; renewals answer the queued errors first, then a fresh
// grant; every exchange, renewal and end (and each batch of ends) is
// recorded. No schedule grants.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_FAKE_DELEGATIONS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_FAKE_DELEGATIONS_H_

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "services/run_executor/runs/run_delegation.h"

namespace bastion::runs {

// Thread-safe.
class FakeDelegations final : public DelegationClient {
 public:
  static constexpr char kId[] = "dlg_0123456789abcdef0123456789abcdef";

  // `clock` must outlive the fake.
  explicit FakeDelegations(const Clock* clock) : clock_(clock) {}

  absl::StatusOr<authn::v1::DelegationGrant> ExchangeForRun(
      const Caller& owner, const std::string& run_id) override;
  absl::StatusOr<authn::v1::DelegationGrant> Renew(
      const std::string& delegation_id) override;
  absl::Status End(const std::string& delegation_id) override;
  // Ends them all (each is recorded as ended) unless an error is queued.
  absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<std::string>& delegation_ids) override;
  // FAILED_PRECONDITION: no schedule grants here.
  absl::StatusOr<authn::v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& owner, const std::string& schedule_id) override;
  absl::StatusOr<authn::v1::DelegationGrant> ExchangeScheduleForRun(
      const std::string& grant_id, const std::string& run_id) override;
  absl::Status EndScheduleGrant(const std::string& grant_id) override;

  // How long the grants made from now on live (default 1 h).
  void set_ttl(absl::Duration ttl);
  // Every exchange from now on answers `error` (OK: grants again).
  void FailExchange(absl::Status error);
  // The next renewal answers `error` (queued after earlier ones).
  void FailRenewal(absl::Status error);
  // The next EndMany answers `error` (queued after earlier ones).
  void FailEndMany(absl::Status error);

  // "<owner's assertion> for <run id>", in order.
  std::vector<std::string> exchanged() const;
  // The delegation ids renewed and ended, in order.
  std::vector<std::string> renewals() const;
  std::vector<std::string> ended() const;
  // The ids of each EndMany that ended them, in order.
  std::vector<std::vector<std::string>> end_batches() const;

 private:
  authn::v1::DelegationGrant Grant();  // mutex_ held

  const Clock* const clock_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  absl::Duration ttl_ = absl::Hours(1);
  absl::Status exchange_error_;
  std::deque<absl::Status> renew_errors_;
  std::vector<std::string> exchanged_;
  std::vector<std::string> renewals_;
  std::vector<std::string> ended_;
  std::deque<absl::Status> end_many_errors_;
  std::vector<std::vector<std::string>> end_batches_;
  int grants_ = 0;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_FAKE_DELEGATIONS_H_
