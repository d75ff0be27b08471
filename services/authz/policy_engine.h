// authz's decision point: the current RoleSet snapshot plus the pure policy
// functions. Used by the Check RPC and, as an Authorizer, by authz's own
// call guard.
#ifndef BASTION_SERVICES_AUTHZ_POLICY_ENGINE_H_
#define BASTION_SERVICES_AUTHZ_POLICY_ENGINE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bastion/common/v1/common.pb.h"
#include "common/auth/caller.h"
#include "services/authz/policy/decision.h"
#include "services/authz/policy/roles.h"
#include "services/authz/policy/tool_decision.h"

namespace bastion::authz {

struct CheckOutcome {
  AuthzDecision decision;
  AdminLevel admin_level = AdminLevel::kNone;
};

// Thread-safe: decisions read an immutable snapshot; Replace swaps it.
class PolicyEngine final : public Authorizer {
 public:
  explicit PolicyEngine(RoleSet roles);

  // The current snapshot (cheap to copy).
  RoleSet Snapshot() const;
  // Installs a new snapshot (after a role change).
  void Replace(RoleSet roles);

  // INVALID_ARGUMENT for a permission no scope could grant (unknown
  // resource, malformed action or id); otherwise a decision.
  absl::StatusOr<CheckOutcome> Decide(const common::v1::Principal& principal,
                                      absl::string_view resource,
                                      absl::string_view action,
                                      absl::string_view resource_id) const;

  ToolDecision DecideTool(const common::v1::Principal& principal,
                          absl::string_view tool) const;

  // Authorizer, for authz's own guard.
  absl::StatusOr<AuthzDecision> Check(const Caller& caller,
                                      const PermissionRequest& request) override;

 private:
  mutable absl::Mutex mutex_;
  RoleSet roles_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_POLICY_ENGINE_H_
