#include "services/authz/authz_service.h"

#include <utility>

namespace bastion::authz {
namespace {

// A caller may only ask about itself: the assertion in the request must be
// the one that authenticated the call.
absl::Status RequireSelf(const Caller& caller, const std::string& assertion) {
  if (caller.assertion.empty() || assertion != caller.assertion) {
    return absl::PermissionDeniedError(
        "the assertion in the request must be the caller's own");
  }
  return absl::OkStatus();
}

void ToProto(const Role& role, bool built_in, int64_t version, v1::Role* out) {
  out->set_name(role.name);
  for (const std::string& scope : role.scopes) out->add_scopes(scope);
  for (const std::string& tool : role.allowed_tools) out->add_allowed_tools(tool);
  out->set_built_in(built_in);
  out->set_version(version);
}

}  // namespace

AuthzService::AuthzService(PolicyEngine* engine, CallGuard guard)
    : engine_(engine), guard_(std::move(guard)) {}

grpc::Status AuthzService::Check(grpc::ServerContext* context,
                                 const v1::CheckRequest* request,
                                 v1::CheckResponse* response) {
  return guard_.Run(context, "Check", *request, [&](const Caller& caller) {
    if (absl::Status self = RequireSelf(caller, request->assertion());
        !self.ok()) {
      return self;
    }
    absl::StatusOr<CheckOutcome> outcome =
        engine_->Decide(caller.principal, request->resource(),
                        request->action(), request->resource_id());
    if (!outcome.ok()) return outcome.status();
    response->set_decision(outcome->decision.allowed ? v1::DECISION_ALLOW
                                                     : v1::DECISION_DENY);
    response->set_reason(outcome->decision.reason);
    response->set_policy_version(outcome->decision.policy_version);
    response->set_admin_level(std::string(AdminLevelName(outcome->admin_level)));
    return absl::OkStatus();
  });
}

grpc::Status AuthzService::CheckTool(grpc::ServerContext* context,
                                     const v1::CheckToolRequest* request,
                                     v1::CheckToolResponse* response) {
  return guard_.Run(context, "CheckTool", *request, [&](const Caller& caller) {
    if (absl::Status self = RequireSelf(caller, request->assertion());
        !self.ok()) {
      return self;
    }
    const ToolDecision decision =
        engine_->DecideTool(caller.principal, request->tool_name());
    response->set_decision(decision.allowed ? v1::DECISION_ALLOW
                                            : v1::DECISION_DENY);
    response->set_reason(decision.reason);
    response->set_requires_confirmation(decision.needs_confirmation);
    response->set_requires_approval(decision.needs_approval);
    response->set_policy_version(
        static_cast<int64_t>(engine_->Snapshot().version()));
    return absl::OkStatus();
  });
}

grpc::Status AuthzService::ListRoles(grpc::ServerContext* context,
                                     const v1::ListRolesRequest* request,
                                     v1::ListRolesResponse* response) {
  return guard_.Run(context, "ListRoles", *request, [&](const Caller&) {
    const RoleSet roles = engine_->Snapshot();
    const int64_t version = static_cast<int64_t>(roles.version());
    for (const Role& role : BuiltinRoles(roles.grammar())) {
      ToProto(role, /*built_in=*/true, version, response->add_roles());
    }
    for (const Role& role : roles.custom_roles()) {
      ToProto(role, /*built_in=*/false, version, response->add_roles());
    }
    response->set_policy_version(version);
    return absl::OkStatus();
  });
}

grpc::Status AuthzService::GetRole(grpc::ServerContext* context,
                                   const v1::GetRoleRequest* request,
                                   v1::Role* response) {
  return guard_.Run(context, "GetRole", *request, [&](const Caller&) {
    const RoleSet roles = engine_->Snapshot();
    const Role* role = roles.Find(request->name());
    if (role == nullptr) return absl::NotFoundError("role not found");
    ToProto(*role, IsBuiltinRoleName(role->name),
            static_cast<int64_t>(roles.version()), response);
    return absl::OkStatus();
  });
}

grpc::Status AuthzService::PutRole(grpc::ServerContext* context,
                                   const v1::PutRoleRequest* request,
                                   v1::Role*) {
  return guard_.Run(context, "PutRole", *request, [&](const Caller&) {
    return absl::UnimplementedError("custom role storage is not available yet");
  });
}

grpc::Status AuthzService::DeleteRole(grpc::ServerContext* context,
                                      const v1::DeleteRoleRequest* request,
                                      v1::DeleteRoleResponse*) {
  return guard_.Run(context, "DeleteRole", *request, [&](const Caller&) {
    return absl::UnimplementedError("custom role storage is not available yet");
  });
}

}  // namespace bastion::authz
