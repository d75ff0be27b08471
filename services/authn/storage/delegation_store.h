// Storage seam for delegations and schedule grants: authn's delegation
// manager calls this; the PostgreSQL implementation serves deployments, and
// a test or another deployment may substitute its own.
#ifndef BASTION_SERVICES_AUTHN_STORAGE_DELEGATION_STORE_H_
#define BASTION_SERVICES_AUTHN_STORAGE_DELEGATION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bastion::authn::storage {

// One stored delegation: the principal it re-creates at each renewal, the
// credential it came from, its run, its holder and its life.
struct DelegationRecord {
  std::string tenant_id;
  std::string user_id;
  std::string delegation_id;
  std::string run_id;
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
  // bastion.common.v1.CredentialKind: JWT or API key.
  int credential_kind = 0;
  std::string credential_issuer;
  // The API key's id, or the JWT's jti ("" when it has none).
  std::string credential_id;
  // An API key's expiry; none for a JWT.
  std::optional<absl::Time> credential_expires_at;
  int32_t rate_limit_per_second = 0;
  std::string holder_service;
  absl::Time created_at;
  absl::Time renewable_until;
  std::optional<absl::Time> ended_at;
  // "ended", "expired" or "revoked" once ended_at is set.
  std::string end_reason;
  // The schedule grant it was issued from; "" when a user's own assertion
  // was exchanged for it.
  std::string schedule_grant_id;
};

// One stored schedule grant: the principal every run delegation issued from
// it carries, the credential the schedule was created with, its schedule,
// its holder and its life. Never signed: it is not a credential.
struct ScheduleGrantRecord {
  std::string tenant_id;
  std::string user_id;
  std::string grant_id;
  std::string schedule_id;
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
  // As in DelegationRecord.
  int credential_kind = 0;
  std::string credential_issuer;
  std::string credential_id;
  std::optional<absl::Time> credential_expires_at;
  int32_t rate_limit_per_second = 0;
  std::string holder_service;
  absl::Time created_at;
  std::optional<absl::Time> ended_at;
  // "ended" or "revoked" once ended_at is set.
  std::string end_reason;
};

// Who owns and who holds a delegation or a schedule grant, found by its id
// alone.
struct DelegationOwner {
  std::string tenant_id;
  std::string user_id;
  std::string holder_service;
};

// What a renewal found.
enum class RenewOutcome {
  kRenewed,
  // Ended before (EndDelegation, or an earlier refused renewal).
  kEnded,
  // Past renewable_until.
  kPastMaximumLifetime,
  // The API key it came from is revoked or expired.
  kCredentialRevoked,
};

// Delegations of one owner, named by id.
struct OwnedDelegations {
  DelegationOwner owner;
  std::vector<std::string> delegation_ids;
};
struct RenewResult {
  RenewOutcome outcome = RenewOutcome::kEnded;
  DelegationRecord record;
};

// What issuing a run delegation from a schedule grant found.
enum class IssueOutcome {
  kIssued,
  // The grant was ended before (EndScheduleGrant, or an earlier refusal).
  kEnded,
  // The API key the schedule was created with is revoked or expired.
  kCredentialRevoked,
};

struct IssueResult {
  IssueOutcome outcome = IssueOutcome::kEnded;
  // The new delegation when kIssued.
  DelegationRecord delegation;
};

// Every method but the Find* ones acts for the owner (tenant, user) only:
// another owner's delegation or grant is NOT_FOUND, like a missing one. UNAVAILABLE
// when the database cannot be reached. Implementations are thread-safe.
class DelegationStore {
 public:
  virtual ~DelegationStore() = default;

  // ALREADY_EXISTS if the id is taken (never in practice).
  virtual absl::StatusOr<DelegationRecord> Insert(
      const DelegationRecord& record) = 0;

  // The owner and holder of `delegation_id`; nullopt when none.
  virtual absl::StatusOr<std::optional<DelegationOwner>> Find(
      const std::string& delegation_id) = 0;

  // Records a renewal at `now` when the delegation is live: not ended,
  // `now` before renewable_until, and (for an API key) its key neither
  // revoked nor expired at `now`, decided in the same transaction as the
  // write. Otherwise changes nothing and says why.
  virtual absl::StatusOr<RenewResult> Renew(const DelegationOwner& owner,
                                            const std::string& delegation_id,
                                            absl::Time now) = 0;

  // Sets ended_at = `now` and end_reason = `reason` unless already ended
  // (then unchanged); returns the row.
  virtual absl::StatusOr<DelegationRecord> End(
      const DelegationOwner& owner, const std::string& delegation_id,
      absl::Time now, const std::string& reason) = 0;

  // End (same `now` and `reason`) for every delegation named, each as its
  // owner, in one transaction. Returns the ids found, ended now or before;
  // an id its owner does not have is left out.
  virtual absl::StatusOr<std::vector<std::string>> EndMany(
      const std::vector<OwnedDelegations>& delegations, absl::Time now,
      const std::string& reason) = 0;
  // ALREADY_EXISTS if the id is taken (never in practice).
  virtual absl::StatusOr<ScheduleGrantRecord> InsertScheduleGrant(
      const ScheduleGrantRecord& record) = 0;

  // The owner and holder of `grant_id`; nullopt when none.
  virtual absl::StatusOr<std::optional<DelegationOwner>> FindScheduleGrant(
      const std::string& grant_id) = 0;

  // Stores delegation `delegation_id` for `run_id`, created at `now` and
  // renewable until `renewable_until`, with the grant's principal, scopes,
  // credential and holder and its schedule_grant_id, when the grant is
  // live: not ended and (for an API key) its key neither revoked nor
  // expired at `now`, decided in the same transaction as the write.
  // Otherwise stores nothing and says why.
  virtual absl::StatusOr<IssueResult> IssueRunDelegation(
      const DelegationOwner& owner, const std::string& grant_id,
      const std::string& delegation_id, const std::string& run_id,
      absl::Time now, absl::Time renewable_until) = 0;

  // Sets ended_at = `now` and end_reason = `reason` unless already ended
  // (then unchanged); returns the row. Delegations issued from it are
  // untouched.
  virtual absl::StatusOr<ScheduleGrantRecord> EndScheduleGrant(
      const DelegationOwner& owner, const std::string& grant_id,
      absl::Time now, const std::string& reason) = 0;
};

}  // namespace bastion::authn::storage

#endif  // BASTION_SERVICES_AUTHN_STORAGE_DELEGATION_STORE_H_
