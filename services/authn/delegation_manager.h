// authn's delegations (in the spirit of RFC 8693 token exchange): a user's
// principal assertion, presented by a holder service for one run, is
// exchanged for a delegation — an assertion signed with authn's key that
// carries DelegationClaims (delegation id, run id, holder). Renewable by its
// holder only, while its run lives, up to a maximum total lifetime, and
// never once the API key it came from is revoked. For scheduled runs, the
// same assertion is exchanged instead for a schedule grant (a stored,
// unsigned record bound to one schedule), which its holder later exchanges
// for ordinary run delegations while the grant and its API key live.
#ifndef BASTION_SERVICES_AUTHN_DELEGATION_MANAGER_H_
#define BASTION_SERVICES_AUTHN_DELEGATION_MANAGER_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/authn/v1/authn.pb.h"
#include "bastion/authn/v1/authn_config.pb.h"
#include "common/assertion/signer.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"
#include "services/authn/storage/delegation_store.h"

namespace bastion::authn {

struct DelegationOptions {
  // Lifetime of one signed delegation; the holder renews before it ends.
  absl::Duration ttl = absl::Minutes(5);
  // Renewal stops this long after the exchange.
  absl::Duration max_lifetime = absl::Hours(24);
  // Service subjects allowed to exchange (and so hold) delegations.
  std::vector<std::string> holders = {"service:run_executor"};
};

// The options of `config` (delegation_*), or INVALID_ARGUMENT naming the
// key: ttl 1..900 s, maximum lifetime ttl..30 days, holders "service:NAME".
absl::StatusOr<DelegationOptions> DelegationOptionsFrom(
    const v1::AuthnConfig& config);

// Thread-safe: the store and signer are; the owners remembered are behind a
// mutex.
class DelegationManager {
 public:
  // Everything must outlive the manager.
  DelegationManager(storage::DelegationStore* store,
                    const assertion::AssertionSigner* signer,
                    std::string audience, DelegationOptions options,
                    const Clock* clock);

  // `caller` is the user as the guard verified it for an internal method:
  // its forwarded assertion, presented by `caller.calling_service`.
  //   calling service not a configured holder -> PERMISSION_DENIED
  //   the caller's assertion is itself a delegation -> PERMISSION_DENIED
  //     (a delegation for run R never becomes one for run S)
  //   not a user's credential (JWT or API key) -> PERMISSION_DENIED
  //   a requested scope the principal does not hold -> PERMISSION_DENIED
  //   no run_id                               -> INVALID_ARGUMENT
  absl::StatusOr<v1::DelegationGrant> Exchange(
      const Caller& caller, const v1::ExchangeForRunRequest& request) const;

  // `service` is the calling service (the Caller of an internal method
  // without a user). A delegation it does not hold is NOT_FOUND, like a
  // missing one. A dead delegation is FAILED_PRECONDITION and is ended:
  // ended before, past its maximum lifetime, or its API key revoked or
  // expired.
  absl::StatusOr<v1::DelegationGrant> Renew(
      const Caller& service, const std::string& delegation_id) const;

  // Ends the delegation (idempotent); NOT_FOUND as for Renew.
  absl::StatusOr<v1::EndDelegationResponse> End(
      const Caller& service, const std::string& delegation_id) const;

  // End for each of `delegation_ids` (at most kMaxEndedAtOnce, else
  // INVALID_ARGUMENT), in one transaction. An id `service` does not hold is
  // left out of the answer, like a missing one.
  absl::StatusOr<v1::EndDelegationsResponse> EndMany(
      const Caller& service,
      const google::protobuf::RepeatedPtrField<std::string>& delegation_ids)
      const;
  static constexpr int kMaxEndedAtOnce = 1000;

  // As Exchange (the same refusals), for a schedule grant bound to
  // `request.schedule_id` (INVALID_ARGUMENT when empty) instead of a
  // delegation: stored, never signed.
  absl::StatusOr<v1::ScheduleGrant> ExchangeForSchedule(
      const Caller& caller, const v1::ExchangeForScheduleRequest& request) const;

  // `service` as for Renew. A grant it does not hold is NOT_FOUND, like a
  // missing one; no run_id is INVALID_ARGUMENT. An ended grant is
  // FAILED_PRECONDITION; so is one whose API key is revoked or expired,
  // which is then ended. Otherwise a run delegation as Exchange makes it,
  // with the grant's principal, scopes and holder and its
  // schedule_grant_id.
  absl::StatusOr<v1::DelegationGrant> ExchangeScheduleForRun(
      const Caller& service,
      const v1::ExchangeScheduleForRunRequest& request) const;

  // Ends the grant (idempotent); NOT_FOUND as for ExchangeScheduleForRun.
  // Delegations issued from it live on.
  absl::StatusOr<v1::EndScheduleGrantResponse> EndScheduleGrant(
      const Caller& service, const std::string& grant_id) const;

 private:
  // The scopes `caller` (a user's forwarded assertion) may hand to its
  // calling service: `requested` (all of the principal's when empty), with
  // the refusals listed at Exchange.
  absl::StatusOr<std::vector<std::string>> DelegableScopes(
      const Caller& caller,
      const google::protobuf::RepeatedPtrField<std::string>& requested) const;
  // The holder's view of schedule grant `grant_id`: NOT_FOUND unless
  // `service` holds it.
  absl::StatusOr<storage::DelegationOwner> GrantHeldBy(
      const Caller& service, const std::string& grant_id) const;
  // The holder's view of `delegation_id`: NOT_FOUND unless `service` holds
  // it.
  absl::StatusOr<storage::DelegationOwner> HeldBy(
      const Caller& service, const std::string& delegation_id) const;
  // Signs a delegation for `record`, valid from `now` for the ttl and never
  // past renewable_until or the credential's own expiry.
  absl::StatusOr<v1::DelegationGrant> Grant(
      const storage::DelegationRecord& record, absl::Time now) const;
  // The owner of a delegation this authn issued, which never changes.
  void Remember(const storage::DelegationRecord& record) const;
  void Forget(const std::string& delegation_id) const;

  // At most this many owners are remembered (past it, all are forgotten:
  // a miss only costs the lookup by id).
  static constexpr size_t kOwnersCapacity = 1 << 16;

  storage::DelegationStore* const store_;
  const assertion::AssertionSigner* const signer_;
  const std::string audience_;
  const DelegationOptions options_;
  const Clock* const clock_;
  // Owners (tenant, user, holder) of the delegations issued here and not
  // ended, by id: renewing or ending one needs no lookup by id first.
  // Another replica's delegations are looked up in the store.
  mutable absl::Mutex owners_mutex_;
  mutable absl::flat_hash_map<std::string, storage::DelegationOwner> owners_
      ABSL_GUARDED_BY(owners_mutex_);
};

}  // namespace bastion::authn

#endif  // BASTION_SERVICES_AUTHN_DELEGATION_MANAGER_H_
