// authz's decision point: each tenant's RoleSet snapshot plus the pure policy
// functions. Used by the Check / CheckTool RPCs and, as an Authorizer, by
// authz's own call guard.
//
// Freshness: with a RoleStore, a tenant's snapshot is served only while it
// was confirmed current by a store query that started less than
// `recheck_interval` (kPolicyRecheckInterval, 1 s) ago; after that the next
// decision for the tenant first asks the store for the tenant's version (one
// indexed lookup) and reloads everything when it changed. So a role change
// committed at time t governs every decision this engine makes from
// t + 1 s on, on every replica; on the replica that made the change, at
// once (Forget).
#ifndef BASTION_SERVICES_AUTHZ_POLICY_ENGINE_H_
#define BASTION_SERVICES_AUTHZ_POLICY_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/caller.h"
#include "common/clock/clock.h"
#include "services/authz/policy/decision.h"
#include "services/authz/policy/roles.h"
#include "services/authz/policy/tool_decision.h"
#include "services/authz/storage/role_store.h"

namespace bastion::authz {

// The longest a tenant's snapshot is used without asking the store whether
// it changed (README: the bound on a role change at authz).
inline constexpr absl::Duration kPolicyRecheckInterval = absl::Seconds(1);

// Tenants whose snapshots are kept; past it the cache starts over.
inline constexpr std::size_t kMaxCachedTenants = 10000;

// One tenant's policy as decisions see it. Immutable; shared.
struct TenantPolicy {
  // Built-in and custom roles and the tool policy; version() is the
  // tenant's stored policy version.
  RoleSet roles;
  // Custom role name -> policy version at which it last changed.
  absl::flat_hash_map<std::string, int64_t> role_versions;

  int64_t version() const { return static_cast<int64_t>(roles.version()); }
  // The version at which `entry` last changed (0 for built-in roles).
  int64_t RoleVersion(const RoleEntry& entry) const;
};

struct ToolOutcome {
  ToolDecision decision;
  int64_t policy_version = 0;
};

// Thread-safe.
class PolicyEngine final : public Authorizer {
 public:
  // Without a store: `base` is every tenant's policy (built-in roles only in
  // production). With a store (not owned; must outlive the engine): each
  // tenant's stored roles and tool policy, parsed with `base`'s grammar.
  explicit PolicyEngine(
      RoleSet base, RoleStore* store = nullptr,
      const Clock* clock = SystemClock::Get(),
      absl::Duration recheck_interval = kPolicyRecheckInterval);

  bool has_store() const { return store_ != nullptr; }

  // The policy of `principal`'s tenant (see the freshness note above).
  // UNAVAILABLE (or another error) when the store cannot answer: callers
  // fail closed.
  absl::StatusOr<std::shared_ptr<const TenantPolicy>> PolicyFor(
      const common::v1::Principal& principal);

  // Drops `tenant_id`'s snapshot, so the next decision loads the stored
  // policy (after this replica changed it).
  void Forget(const std::string& tenant_id);

  // INVALID_ARGUMENT for a permission no scope could grant (unknown
  // resource, malformed action or id); otherwise a decision.
  absl::StatusOr<AuthzDecision> Decide(const common::v1::Principal& principal,
                                      absl::string_view resource,
                                      absl::string_view action,
                                      absl::string_view resource_id);

  absl::StatusOr<ToolOutcome> DecideTool(const common::v1::Principal& principal,
                                         absl::string_view tool);

  // Authorizer, for authz's own guard.
  absl::StatusOr<AuthzDecision> Check(
      const Caller& caller, const PermissionRequest& request) override;

 private:
  struct Entry {
    absl::Mutex mutex;
    std::shared_ptr<const TenantPolicy> policy ABSL_GUARDED_BY(mutex);
    // When the query that confirmed `policy` started.
    absl::Time confirmed_at ABSL_GUARDED_BY(mutex);
  };

  std::shared_ptr<Entry> EntryFor(const std::string& tenant_id);
  absl::StatusOr<std::shared_ptr<const TenantPolicy>> Build(
      const std::string& tenant_id, StoredPolicy stored) const;

  const std::shared_ptr<const TenantPolicy> base_;
  RoleStore* const store_;
  const Clock* const clock_;
  const absl::Duration recheck_interval_;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_ENGINE_H_
