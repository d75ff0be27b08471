// authz's gRPC adapter; see authz_service.h.
#include "services/authz/authz_service.h"

#include <memory>
#include <utility>
#include <vector>

#include "common/server/finish.h"
#include "common/status/status_macros.h"

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
  out->set_description(role.description);
  for (const std::string& scope : role.scopes) out->add_scopes(scope);
  for (const std::string& tool : role.allowed_tools)
    out->add_allowed_tools(tool);
  out->set_built_in(built_in);
  out->set_version(version);
}

void ToProto(const ToolPolicy& policy, int64_t version, v1::ToolPolicy* out) {
  for (const std::string& tool : policy.requires_confirmation) {
    out->add_requires_confirmation(tool);
  }
  for (const std::string& tool : policy.requires_approval) {
    out->add_requires_approval(tool);
  }
  out->set_version(version);
}

std::vector<std::string> ToVector(
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  return {values.begin(), values.end()};
}

}  // namespace

AuthzService::AuthzService(PolicyEngine* engine, RoleAdmin* admin,
                           CallGuard guard)
    : engine_(engine), admin_(admin), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* AuthzService::Check(
    grpc::CallbackServerContext* context, const v1::CheckRequest* request,
    v1::CheckResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "Check", *request, [&](const Caller& caller) {
        RETURN_IF_ERROR(RequireSelf(caller, request->assertion()));
        ASSIGN_OR_RETURN(
            AuthzDecision decision,
            engine_->Decide(caller.principal, request->resource(),
                            request->action(), request->resource_id()));
        response->set_decision(decision.allowed ? v1::DECISION_ALLOW
                                                : v1::DECISION_DENY);
        response->set_reason(decision.reason);
        response->set_policy_version(decision.policy_version);
        response->set_admin_level(
            std::string(AdminLevelName(decision.admin_level)));
        response->set_approver(decision.approver);
        response->set_any_resource_id(decision.any_resource_id);
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthzService::CheckTool(
    grpc::CallbackServerContext* context, const v1::CheckToolRequest* request,
    v1::CheckToolResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "CheckTool", *request, [&](const Caller& caller) {
        RETURN_IF_ERROR(RequireSelf(caller, request->assertion()));
        ASSIGN_OR_RETURN(
            ToolOutcome outcome,
            engine_->DecideTool(caller.principal, request->tool_name()));
        response->set_decision(outcome.decision.allowed ? v1::DECISION_ALLOW
                                                        : v1::DECISION_DENY);
        response->set_reason(outcome.decision.reason);
        response->set_requires_confirmation(
            outcome.decision.needs_confirmation);
        response->set_requires_approval(outcome.decision.needs_approval);
        response->set_policy_version(outcome.policy_version);
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthzService::ListRoles(
    grpc::CallbackServerContext* context, const v1::ListRolesRequest* request,
    v1::ListRolesResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListRoles", *request, [&](const Caller& caller) {
        ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                         engine_->PolicyFor(caller.principal));
        for (const RoleEntry& entry : policy->roles.ListRoles()) {
          ToProto(entry.role, entry.built_in, policy->RoleVersion(entry),
                  response->add_roles());
        }
        response->set_policy_version(policy->version());
        ToProto(policy->roles.tool_policy(), policy->version(),
                response->mutable_tool_policy());
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthzService::GetRole(
    grpc::CallbackServerContext* context, const v1::GetRoleRequest* request,
    v1::Role* response) {
  return Finish(
      context,
      guard_.Run(context, "GetRole", *request, [&](const Caller& caller) {
        ASSIGN_OR_RETURN(std::shared_ptr<const TenantPolicy> policy,
                         engine_->PolicyFor(caller.principal));
        const RoleEntry* entry = policy->roles.FindEntry(request->name());
        if (entry == nullptr) return absl::NotFoundError("role not found");
        ToProto(entry->role, entry->built_in, policy->RoleVersion(*entry),
                response);
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthzService::PutRole(
    grpc::CallbackServerContext* context, const v1::PutRoleRequest* request,
    v1::Role* response) {
  return Finish(
      context,
      guard_.Run(context, "PutRole", *request, [&](const Caller& caller) {
        const v1::Role& in = request->role();
        Role role{in.name(), ToVector(in.scopes()),
                  ToVector(in.allowed_tools()), in.description()};
        ASSIGN_OR_RETURN(StoredRole stored,
                         admin_->PutRole(caller.principal, std::move(role)));
        ToProto(stored.role, /*built_in=*/false, stored.version, response);
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthzService::DeleteRole(
    grpc::CallbackServerContext* context, const v1::DeleteRoleRequest* request,
    v1::DeleteRoleResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "DeleteRole", *request, [&](const Caller& caller) {
        ASSIGN_OR_RETURN(int64_t version,
                         admin_->DeleteRole(caller.principal, request->name()));
        response->set_policy_version(version);
        return absl::OkStatus();
      }));
}

grpc::ServerUnaryReactor* AuthzService::PutToolPolicy(
    grpc::CallbackServerContext* context,
    const v1::PutToolPolicyRequest* request, v1::ToolPolicy* response) {
  return Finish(
      context,
      guard_.Run(context, "PutToolPolicy", *request, [&](const Caller& caller) {
        ToolPolicy policy{ToVector(request->policy().requires_confirmation()),
                          ToVector(request->policy().requires_approval())};
        ASSIGN_OR_RETURN(int64_t version,
                         admin_->PutToolPolicy(caller.principal, policy));
        ToProto(policy, version, response);
        return absl::OkStatus();
      }));
}

}  // namespace bastion::authz
