// Who may use which tool: asked before every tool call a run makes, with the
// run's owner. authz answers in a deployment (AuthzToolGate: the roles'
// allowed tools and the tenant's tool policy); tests pass their own.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_ENGINE_TOOL_GATE_H_
#define BASTION_SERVICES_RUN_EXECUTOR_ENGINE_TOOL_GATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/auth/caller.h"

namespace bastion::runs {

// The decision on one tool for one owner.
struct ToolVerdict {
  // The owner may use the tool at all.
  bool allowed = false;
  // Why (caller-safe; shown to the model when refused).
  std::string reason;
  // The tenant's policy asks for the owner's confirmation before each call.
  bool requires_confirmation = false;
  // The tenant's policy asks for an approver's approval before each call.
  bool requires_approval = false;
};

// Thread-safe. A non-OK status (authz unreachable) refuses the call.
// A refusal is audited by the gate.
class ToolGate {
 public:
  virtual ~ToolGate() = default;
  virtual absl::StatusOr<ToolVerdict> Check(const Caller& owner,
                                            const std::string& run_id,
                                            const std::string& tool_name) const = 0;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_ENGINE_TOOL_GATE_H_
