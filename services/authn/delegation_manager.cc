#include "services/authn/delegation_manager.h"

#include <algorithm>
#include <utility>

#include <openssl/rand.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"

namespace bastion::authn {
namespace {

using ::bastion::common::v1::CredentialKind;
using ::bastion::common::v1::DelegationClaims;
using ::bastion::common::v1::Principal;

constexpr absl::Duration kMaxTtl = absl::Seconds(900);
constexpr absl::Duration kMaxMaxLifetime = absl::Hours(24 * 30);
// As the table allows.
constexpr int kMaxScopes = 1000;

// Scopes and roles are stored space-separated: printable ASCII without
// whitespace, as API key scopes and token claims are.
bool IsStorableWord(absl::string_view word) {
  if (word.empty() || word.size() > 256) return false;
  for (char c : word) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

absl::Status CheckWords(const google::protobuf::RepeatedPtrField<std::string>&
                            words,
                        absl::string_view what) {
  if (words.size() > kMaxScopes) {
    return absl::FailedPreconditionError(
        absl::StrCat("the principal has more than ", kMaxScopes, " ", what));
  }
  for (const std::string& word : words) {
    if (!IsStorableWord(word)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the principal has ", what,
                       " that cannot be delegated"));
    }
  }
  return absl::OkStatus();
}

// `prefix` ("dlg_" for delegations, "sgr_" for schedule grants) and 128
// random bits in hex.
absl::StatusOr<std::string> NewId(absl::string_view prefix) {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("random generator failed");
  }
  return absl::StrCat(prefix, absl::BytesToHexString(absl::string_view(
                                  reinterpret_cast<const char*>(random),
                                  sizeof(random))));
}

}  // namespace

absl::StatusOr<DelegationOptions> DelegationOptionsFrom(
    const v1::AuthnConfig& config) {
  DelegationOptions options;
  if (config.delegation_ttl_seconds() != 0) {
    if (config.delegation_ttl_seconds() < 0 ||
        absl::Seconds(config.delegation_ttl_seconds()) > kMaxTtl) {
      return absl::InvalidArgumentError(
          "delegation_ttl_seconds: must be 1..900");
    }
    options.ttl = absl::Seconds(config.delegation_ttl_seconds());
  }
  if (config.delegation_max_lifetime_seconds() != 0) {
    const absl::Duration max =
        absl::Seconds(config.delegation_max_lifetime_seconds());
    if (max < options.ttl || max > kMaxMaxLifetime) {
      return absl::InvalidArgumentError(
          "delegation_max_lifetime_seconds: must be delegation_ttl_seconds.."
          "2592000");
    }
    options.max_lifetime = max;
  }
  if (!config.delegation_holders().empty()) {
    options.holders.clear();
    for (const std::string& holder : config.delegation_holders()) {
      if (!absl::StartsWith(holder, kServiceSubjectPrefix) ||
          holder.size() == sizeof(kServiceSubjectPrefix) - 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "delegation_holders: \"", holder,
            "\" is not a service subject (service:NAME)"));
      }
      options.holders.push_back(holder);
    }
  }
  return options;
}

DelegationManager::DelegationManager(storage::DelegationStore* store,
                                     const assertion::AssertionSigner* signer,
                                     std::string audience,
                                     DelegationOptions options,
                                     const Clock* clock)
    : store_(store),
      signer_(signer),
      audience_(std::move(audience)),
      options_(std::move(options)),
      clock_(clock) {}

absl::StatusOr<std::vector<std::string>> DelegationManager::DelegableScopes(
    const Caller& caller,
    const google::protobuf::RepeatedPtrField<std::string>& requested) const {
  if (caller.calling_service.empty() ||
      std::find(options_.holders.begin(), options_.holders.end(),
                caller.calling_service) == options_.holders.end()) {
    return absl::PermissionDeniedError(
        "this service may not hold delegations");
  }
  if (!caller.delegation_id.empty()) {
    return absl::PermissionDeniedError("a delegation cannot be exchanged");
  }
  const Principal& principal = caller.principal;
  if (principal.credential_kind() != common::v1::CREDENTIAL_KIND_JWT &&
      principal.credential_kind() != common::v1::CREDENTIAL_KIND_API_KEY) {
    return absl::PermissionDeniedError(
        "only a user's credential can be delegated");
  }
  if (principal.credential_kind() == common::v1::CREDENTIAL_KIND_API_KEY &&
      principal.token_id().empty()) {
    return absl::PermissionDeniedError(
        "an API key principal without its key id cannot be delegated");
  }
  RETURN_IF_ERROR(CheckWords(principal.scopes(), "scopes"));
  RETURN_IF_ERROR(CheckWords(principal.roles(), "roles"));

  const absl::flat_hash_set<std::string> held(principal.scopes().begin(),
                                               principal.scopes().end());
  std::vector<std::string> scopes;
  if (requested.empty()) {
    scopes.assign(principal.scopes().begin(), principal.scopes().end());
    return scopes;
  }
  if (requested.size() > kMaxScopes) {
    return absl::InvalidArgumentError(
        absl::StrCat("scopes: at most ", kMaxScopes));
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& scope : requested) {
    // Exactly what the principal holds, never a wider form of it.
    if (!held.contains(scope)) {
      return absl::PermissionDeniedError(
          absl::StrCat("scope \"", scope, "\" is not held by the principal"));
    }
    if (seen.insert(scope).second) scopes.push_back(scope);
  }
  return scopes;
}

absl::StatusOr<v1::DelegationGrant> DelegationManager::Exchange(
    const Caller& caller, const v1::ExchangeForRunRequest& request) const {
  ASSIGN_OR_RETURN(std::vector<std::string> scopes,
                   DelegableScopes(caller, request.scopes()));
  if (request.run_id().empty()) {
    return absl::InvalidArgumentError("run_id: required");
  }
  const Principal& principal = caller.principal;
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(std::string delegation_id, NewId("dlg_"));
  storage::DelegationRecord record;
  record.tenant_id = principal.tenant_id();
  record.user_id = principal.subject();
  record.delegation_id = std::move(delegation_id);
  record.run_id = request.run_id();
  record.scopes = std::move(scopes);
  record.roles.assign(principal.roles().begin(), principal.roles().end());
  record.credential_kind = principal.credential_kind();
  record.credential_issuer = principal.issuer();
  record.credential_id = principal.token_id();
  if (principal.credential_kind() == common::v1::CREDENTIAL_KIND_API_KEY &&
      principal.expires_at_unix() != 0) {
    record.credential_expires_at =
        absl::FromUnixSeconds(principal.expires_at_unix());
  }
  record.rate_limit_per_second = principal.rate_limit_per_second();
  record.holder_service = caller.calling_service;
  record.created_at = absl::FromUnixMicros(absl::ToUnixMicros(now));
  record.renewable_until = record.created_at + options_.max_lifetime;
  ASSIGN_OR_RETURN(storage::DelegationRecord stored, store_->Insert(record));
  Remember(stored);
  Log(LogLevel::kInfo, "delegation_exchanged",
      {{"tenant", stored.tenant_id},
       {"subject", stored.user_id},
       {"delegation_id", stored.delegation_id},
       {"run_id", stored.run_id},
       {"holder", stored.holder_service}});
  return Grant(stored, now);
}

absl::StatusOr<v1::ScheduleGrant> DelegationManager::ExchangeForSchedule(
    const Caller& caller, const v1::ExchangeForScheduleRequest& request) const {
  ASSIGN_OR_RETURN(std::vector<std::string> scopes,
                   DelegableScopes(caller, request.scopes()));
  if (request.schedule_id().empty()) {
    return absl::InvalidArgumentError("schedule_id: required");
  }
  const Principal& principal = caller.principal;
  ASSIGN_OR_RETURN(std::string grant_id, NewId("sgr_"));
  storage::ScheduleGrantRecord record;
  record.tenant_id = principal.tenant_id();
  record.user_id = principal.subject();
  record.grant_id = std::move(grant_id);
  record.schedule_id = request.schedule_id();
  record.scopes = std::move(scopes);
  record.roles.assign(principal.roles().begin(), principal.roles().end());
  record.credential_kind = principal.credential_kind();
  record.credential_issuer = principal.issuer();
  record.credential_id = principal.token_id();
  if (principal.credential_kind() == common::v1::CREDENTIAL_KIND_API_KEY &&
      principal.expires_at_unix() != 0) {
    record.credential_expires_at =
        absl::FromUnixSeconds(principal.expires_at_unix());
  }
  record.rate_limit_per_second = principal.rate_limit_per_second();
  record.holder_service = caller.calling_service;
  record.created_at = absl::FromUnixMicros(absl::ToUnixMicros(clock_->Now()));
  ASSIGN_OR_RETURN(storage::ScheduleGrantRecord stored,
                   store_->InsertScheduleGrant(record));
  Log(LogLevel::kInfo, "schedule_grant_exchanged",
      {{"tenant", stored.tenant_id},
       {"subject", stored.user_id},
       {"grant_id", stored.grant_id},
       {"schedule_id", stored.schedule_id},
       {"holder", stored.holder_service}});
  v1::ScheduleGrant grant;
  grant.set_grant_id(stored.grant_id);
  grant.set_created_at_unix(absl::ToUnixSeconds(stored.created_at));
  return grant;
}

absl::StatusOr<storage::DelegationOwner> DelegationManager::GrantHeldBy(
    const Caller& service, const std::string& grant_id) const {
  ASSIGN_OR_RETURN(std::optional<storage::DelegationOwner> owner,
                   store_->FindScheduleGrant(grant_id));
  // Someone else's grant looks exactly like a missing one.
  if (!owner.has_value() || service.calling_service.empty() ||
      owner->holder_service != service.calling_service) {
    return absl::NotFoundError("schedule grant not found");
  }
  return *std::move(owner);
}

absl::StatusOr<v1::DelegationGrant> DelegationManager::ExchangeScheduleForRun(
    const Caller& service,
    const v1::ExchangeScheduleForRunRequest& request) const {
  ASSIGN_OR_RETURN(storage::DelegationOwner owner,
                   GrantHeldBy(service, request.grant_id()));
  if (request.run_id().empty()) {
    return absl::InvalidArgumentError("run_id: required");
  }
  const absl::Time now = clock_->Now();
  const absl::Time created = absl::FromUnixMicros(absl::ToUnixMicros(now));
  ASSIGN_OR_RETURN(std::string delegation_id, NewId("dlg_"));
  ASSIGN_OR_RETURN(
      storage::IssueResult issued,
      store_->IssueRunDelegation(owner, request.grant_id(), delegation_id,
                                 request.run_id(), created,
                                 created + options_.max_lifetime));
  switch (issued.outcome) {
    case storage::IssueOutcome::kIssued:
      Remember(issued.delegation);
      Log(LogLevel::kInfo, "delegation_exchanged",
          {{"tenant", issued.delegation.tenant_id},
           {"subject", issued.delegation.user_id},
           {"delegation_id", issued.delegation.delegation_id},
           {"run_id", issued.delegation.run_id},
           {"schedule_grant_id", issued.delegation.schedule_grant_id},
           {"holder", issued.delegation.holder_service}});
      return Grant(issued.delegation, now);
    case storage::IssueOutcome::kEnded:
      return absl::FailedPreconditionError("the schedule grant has ended");
    case storage::IssueOutcome::kCredentialRevoked:
      break;
  }
  RETURN_IF_ERROR(
      store_->EndScheduleGrant(owner, request.grant_id(), now, "revoked")
          .status());
  Log(LogLevel::kInfo, "schedule_grant_refused",
      {{"tenant", owner.tenant_id},
       {"subject", owner.user_id},
       {"grant_id", request.grant_id()},
       {"reason", "revoked"}});
  return absl::FailedPreconditionError(
      "the credential the schedule grant came from is revoked or expired");
}

absl::StatusOr<v1::EndScheduleGrantResponse>
DelegationManager::EndScheduleGrant(const Caller& service,
                                    const std::string& grant_id) const {
  ASSIGN_OR_RETURN(storage::DelegationOwner owner,
                   GrantHeldBy(service, grant_id));
  ASSIGN_OR_RETURN(
      storage::ScheduleGrantRecord ended,
      store_->EndScheduleGrant(owner, grant_id, clock_->Now(), "ended"));
  v1::EndScheduleGrantResponse response;
  response.set_ended_at_unix(
      absl::ToUnixSeconds(ended.ended_at.value_or(clock_->Now())));
  return response;
}

void DelegationManager::Remember(
    const storage::DelegationRecord& record) const {
  absl::MutexLock lock(&owners_mutex_);
  if (owners_.size() >= kOwnersCapacity) owners_.clear();
  owners_[record.delegation_id] = storage::DelegationOwner{
      record.tenant_id, record.user_id, record.holder_service};
}

void DelegationManager::Forget(const std::string& delegation_id) const {
  absl::MutexLock lock(&owners_mutex_);
  owners_.erase(delegation_id);
}

absl::StatusOr<storage::DelegationOwner> DelegationManager::HeldBy(
    const Caller& service, const std::string& delegation_id) const {
  std::optional<storage::DelegationOwner> owner;
  {
    absl::MutexLock lock(&owners_mutex_);
    auto known = owners_.find(delegation_id);
    if (known != owners_.end()) owner = known->second;
  }
  if (!owner.has_value()) {
    ASSIGN_OR_RETURN(owner, store_->Find(delegation_id));
  }
  // Someone else's delegation looks exactly like a missing one.
  if (!owner.has_value() || service.calling_service.empty() ||
      owner->holder_service != service.calling_service) {
    return absl::NotFoundError("delegation not found");
  }
  return *std::move(owner);
}

absl::StatusOr<v1::DelegationGrant> DelegationManager::Renew(
    const Caller& service, const std::string& delegation_id) const {
  ASSIGN_OR_RETURN(storage::DelegationOwner owner,
                   HeldBy(service, delegation_id));
  const absl::Time now = clock_->Now();
  ASSIGN_OR_RETURN(storage::RenewResult renewed,
                   store_->Renew(owner, delegation_id, now));
  absl::string_view end_reason;
  absl::string_view message;
  switch (renewed.outcome) {
    case storage::RenewOutcome::kRenewed:
      return Grant(renewed.record, now);
    case storage::RenewOutcome::kEnded:
      return absl::FailedPreconditionError("the delegation has ended");
    case storage::RenewOutcome::kPastMaximumLifetime:
      end_reason = "expired";
      message = "the delegation reached its maximum lifetime";
      break;
    case storage::RenewOutcome::kCredentialRevoked:
      end_reason = "revoked";
      message =
          "the credential the delegation came from is revoked or expired";
      break;
  }
  RETURN_IF_ERROR(
      store_->End(owner, delegation_id, now, std::string(end_reason))
          .status());
  Forget(delegation_id);
  Log(LogLevel::kInfo, "delegation_refused",
      {{"tenant", owner.tenant_id},
       {"subject", owner.user_id},
       {"delegation_id", delegation_id},
       {"reason", end_reason}});
  return absl::FailedPreconditionError(message);
}

absl::StatusOr<v1::EndDelegationResponse> DelegationManager::End(
    const Caller& service, const std::string& delegation_id) const {
  ASSIGN_OR_RETURN(storage::DelegationOwner owner,
                   HeldBy(service, delegation_id));
  ASSIGN_OR_RETURN(
      storage::DelegationRecord ended,
      store_->End(owner, delegation_id, clock_->Now(), "ended"));
  Forget(delegation_id);
  v1::EndDelegationResponse response;
  response.set_ended_at_unix(
      absl::ToUnixSeconds(ended.ended_at.value_or(clock_->Now())));
  return response;
}

absl::StatusOr<v1::EndDelegationsResponse> DelegationManager::EndMany(
    const Caller& service,
    const google::protobuf::RepeatedPtrField<std::string>& delegation_ids)
    const {
  if (delegation_ids.size() > kMaxEndedAtOnce) {
    return absl::InvalidArgumentError(
        absl::StrCat("delegation_ids: at most ", kMaxEndedAtOnce));
  }
  // By owner: each owner's delegations end as that owner.
  absl::flat_hash_map<std::pair<std::string, std::string>,
                      storage::OwnedDelegations>
      by_owner;
  for (const std::string& id : delegation_ids) {
    absl::StatusOr<storage::DelegationOwner> owner = HeldBy(service, id);
    if (absl::IsNotFound(owner.status())) continue;
    if (!owner.ok()) return owner.status();
    storage::OwnedDelegations& owned =
        by_owner[{owner->tenant_id, owner->user_id}];
    owned.owner = *std::move(owner);
    owned.delegation_ids.push_back(id);
  }
  std::vector<storage::OwnedDelegations> owned;
  owned.reserve(by_owner.size());
  for (auto& [key, delegations] : by_owner) {
    owned.push_back(std::move(delegations));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> ended,
                   store_->EndMany(owned, clock_->Now(), "ended"));
  v1::EndDelegationsResponse response;
  for (std::string& id : ended) {
    Forget(id);
    response.add_ended_delegation_ids(std::move(id));
  }
  return response;
}

absl::StatusOr<v1::DelegationGrant> DelegationManager::Grant(
    const storage::DelegationRecord& record, absl::Time now) const {
  absl::Time expires = std::min(now + options_.ttl, record.renewable_until);
  if (record.credential_expires_at.has_value()) {
    expires = std::min(expires, *record.credential_expires_at);
  }
  Principal principal;
  principal.set_tenant_id(record.tenant_id);
  principal.set_subject(record.user_id);
  for (const std::string& scope : record.scopes) principal.add_scopes(scope);
  for (const std::string& role : record.roles) principal.add_roles(role);
  principal.set_credential_kind(
      static_cast<CredentialKind>(record.credential_kind));
  principal.set_issuer(record.credential_issuer);
  principal.set_token_id(record.credential_id);
  principal.set_expires_at_unix(absl::ToUnixSeconds(expires));
  principal.set_rate_limit_per_second(record.rate_limit_per_second);
  DelegationClaims claims;
  claims.set_delegation_id(record.delegation_id);
  claims.set_run_id(record.run_id);
  claims.set_holder_service(record.holder_service);
  absl::StatusOr<std::string> signed_delegation =
      signer_->SignDelegation(principal, claims, {audience_}, now, expires);
  if (!signed_delegation.ok()) {
    // E.g. less than a second left before renewable_until.
    return absl::FailedPreconditionError(
        "the delegation cannot be renewed any more");
  }
  v1::DelegationGrant grant;
  grant.set_delegation_id(record.delegation_id);
  grant.set_delegation(*std::move(signed_delegation));
  grant.set_expires_at_unix(absl::ToUnixSeconds(expires));
  grant.set_renewable_until_unix(absl::ToUnixSeconds(record.renewable_until));
  return grant;
}

}  // namespace bastion::authn
