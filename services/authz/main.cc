// authz: owns policy (scopes, roles, tool permissions) and answers Check.
#include "bastion/authz/v1/authz_config.pb.h"
#include "common/auth/remote_wiring.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/authz/authz_service.h"

namespace bastion::authz {
namespace {

absl::StatusOr<RoleSet> InitialRoles(const v1::AuthzConfig& config) {
  AdminScopeConfig admin_scopes;
  if (!config.tenant_admin_scope().empty()) {
    admin_scopes.tenant_admin = config.tenant_admin_scope();
  }
  if (!config.platform_admin_scope().empty()) {
    admin_scopes.platform_admin = config.platform_admin_scope();
  }
  ASSIGN_OR_RETURN(ScopeGrammar grammar, ScopeGrammar::Create(admin_scopes));
  return RoleSet::Create(std::move(grammar), /*custom_roles=*/{},
                         /*tool_policy=*/{}, /*version=*/1);
}

absl::Status Run(const std::string& config_path) {
  v1::AuthzConfig config;
  RETURN_IF_ERROR(LoadConfig(config_path, "BASTION_", ProcessEnv(), &config));
  ASSIGN_OR_RETURN(RoleSet roles, InitialRoles(config));
  PolicyEngine engine(std::move(roles));

  // authn for credentials and assertion keys; the decisions are our own.
  RemoteAuth auth(config.authn_address(), /*authz_address=*/"",
                  AudienceOrDefault(config.assertion_audience()));
  GuardDependencies dependencies = auth.dependencies();
  dependencies.authorizer = &engine;
  ASSIGN_OR_RETURN(CallGuard guard,
                   CallGuard::Create(v1::Authz::service_full_name(),
                                     dependencies));
  AuthzService service(&engine, std::move(guard));

  ServerOptions options;
  if (!config.listen_address().empty()) {
    options.listen_address = config.listen_address();
  }
  options.port_file = config.port_file();
  ASSIGN_OR_RETURN(
      std::unique_ptr<RunningServer> server,
      StartServer(options, {{&service, v1::Authz::service_full_name()}}));
  ServeUntilSignal(*server);
  return absl::OkStatus();
}

}  // namespace
}  // namespace bastion::authz

int main(int argc, char** argv) {
  bastion::SetLogService("authz");
  absl::Status status = bastion::authz::Run(argc > 1 ? argv[1] : "");
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
