#include "services/run_executor/runs/fake_delegations.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace bastion::runs {

absl::StatusOr<authn::v1::DelegationGrant> FakeDelegations::ExchangeForRun(
    const Caller& owner, const std::string& run_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  exchanged_.push_back(absl::StrCat(owner.assertion, " for ", run_id));
  if (!exchange_error_.ok()) return exchange_error_;
  return Grant();
}

absl::StatusOr<authn::v1::DelegationGrant> FakeDelegations::Renew(
    const std::string& delegation_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  renewals_.push_back(delegation_id);
  if (!renew_errors_.empty()) {
    absl::Status error = std::move(renew_errors_.front());
    renew_errors_.pop_front();
    return error;
  }
  return Grant();
}

absl::Status FakeDelegations::End(const std::string& delegation_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  ended_.push_back(delegation_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakeDelegations::EndMany(
    const std::vector<std::string>& delegation_ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!end_many_errors_.empty()) {
    absl::Status error = std::move(end_many_errors_.front());
    end_many_errors_.pop_front();
    return error;
  }
  end_batches_.push_back(delegation_ids);
  ended_.insert(ended_.end(), delegation_ids.begin(), delegation_ids.end());
  return delegation_ids;
}

absl::StatusOr<authn::v1::ScheduleGrant> FakeDelegations::ExchangeForSchedule(
    const Caller&, const std::string&) {
  return absl::FailedPreconditionError("no schedule grants in this test");
}

absl::StatusOr<authn::v1::DelegationGrant>
FakeDelegations::ExchangeScheduleForRun(const std::string&,
                                        const std::string&) {
  return absl::FailedPreconditionError("no schedule grants in this test");
}

absl::Status FakeDelegations::EndScheduleGrant(const std::string&) {
  return absl::FailedPreconditionError("no schedule grants in this test");
}

void FakeDelegations::set_ttl(absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  ttl_ = ttl;
}

void FakeDelegations::FailExchange(absl::Status error) {
  std::lock_guard<std::mutex> lock(mutex_);
  exchange_error_ = std::move(error);
}

void FakeDelegations::FailRenewal(absl::Status error) {
  std::lock_guard<std::mutex> lock(mutex_);
  renew_errors_.push_back(std::move(error));
}

void FakeDelegations::FailEndMany(absl::Status error) {
  std::lock_guard<std::mutex> lock(mutex_);
  end_many_errors_.push_back(std::move(error));
}

std::vector<std::vector<std::string>> FakeDelegations::end_batches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return end_batches_;
}

std::vector<std::string> FakeDelegations::exchanged() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return exchanged_;
}

std::vector<std::string> FakeDelegations::renewals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return renewals_;
}

std::vector<std::string> FakeDelegations::ended() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ended_;
}

authn::v1::DelegationGrant FakeDelegations::Grant() {
  const absl::Time now = clock_->Now();
  authn::v1::DelegationGrant grant;
  grant.set_delegation_id(kId);
  grant.set_delegation(absl::StrCat("delegation-", ++grants_));
  grant.set_expires_at_unix(absl::ToUnixSeconds(now + ttl_));
  grant.set_renewable_until_unix(absl::ToUnixSeconds(now + absl::Hours(2)));
  return grant;
}

}  // namespace bastion::runs
