// gRPC adapter of authz: runs the guard, calls the policy engine or the role
// admin, maps the status.
#ifndef BASTION_SERVICES_AUTHZ_AUTHZ_SERVICE_H_
#define BASTION_SERVICES_AUTHZ_AUTHZ_SERVICE_H_

#include "bastion/authz/v1/authz.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/authz/policy_engine.h"
#include "services/authz/role_admin.h"

namespace bastion::authz {

// Thread-safe.
class AuthzService final : public v1::Authz::CallbackService {
 public:
  // Not owned; both must outlive the service.
  AuthzService(PolicyEngine* engine, RoleAdmin* admin, CallGuard guard);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const v1::CheckRequest* request,
                                  v1::CheckResponse* response) override;
  grpc::ServerUnaryReactor* CheckTool(grpc::CallbackServerContext* context,
                                      const v1::CheckToolRequest* request,
                                      v1::CheckToolResponse* response) override;
  grpc::ServerUnaryReactor* ListRoles(grpc::CallbackServerContext* context,
                                      const v1::ListRolesRequest* request,
                                      v1::ListRolesResponse* response) override;
  grpc::ServerUnaryReactor* GetRole(grpc::CallbackServerContext* context,
                                    const v1::GetRoleRequest* request,
                                    v1::Role* response) override;
  grpc::ServerUnaryReactor* PutRole(grpc::CallbackServerContext* context,
                                    const v1::PutRoleRequest* request,
                                    v1::Role* response) override;
  grpc::ServerUnaryReactor* DeleteRole(
      grpc::CallbackServerContext* context,
      const v1::DeleteRoleRequest* request,
      v1::DeleteRoleResponse* response) override;
  grpc::ServerUnaryReactor* PutToolPolicy(
      grpc::CallbackServerContext* context,
      const v1::PutToolPolicyRequest* request,
      v1::ToolPolicy* response) override;

 private:
  PolicyEngine* engine_;
  RoleAdmin* admin_;
  CallGuard guard_;
};

}  // namespace bastion::authz

#endif  // BASTION_SERVICES_AUTHZ_AUTHZ_SERVICE_H_
