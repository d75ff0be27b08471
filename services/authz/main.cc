// authz: owns policy (scopes, roles, tool permissions) and answers Check.
#include <memory>

#include "bastion/authz/v1/authz_config.pb.h"
#include "common/auth/guard_wiring.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/pg/pg_pool.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/authz/authz_service.h"
#include "services/authz/storage/pg_role_store.h"

namespace bastion::authz {
namespace {

absl::StatusOr<RoleSet> BaseRoles(const v1::AuthzConfig& config) {
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
  ASSIGN_OR_RETURN(RoleSet builtin, BaseRoles(config));

  // Without a database: built-in roles only; role changes are refused.
  std::unique_ptr<pg::PgPool> pool;
  std::unique_ptr<PgRoleStore> store;
  if (!config.database_url().empty()) {
    pg::PgPoolOptions pool_options;
    pool_options.conninfo = config.database_url();
    if (config.database_pool_size() > 0) {
      pool_options.max_size = config.database_pool_size();
    }
    pool = std::make_unique<pg::PgPool>(pool_options);
    store = std::make_unique<PgRoleStore>(pool.get());
  } else {
    Log(LogLevel::kWarning, "no_database",
        {{"detail", "database_url is empty: built-in roles only"}});
  }
  PolicyEngine engine(std::move(builtin), store.get());
  // Services ask Check with their users' assertions: only those it trusts.
  if (config.trusted_services_file().empty()) {
    return absl::InvalidArgumentError(
        "trusted_services_file: required (Check answers a user's assertion "
        "only from a service authz trusts)");
  }
  // authn for credentials and assertion keys; the decisions are our own.
  LocalGuardParts local;
  local.authorizer = &engine;
  ASSIGN_OR_RETURN(std::unique_ptr<GuardWiring> wiring,
                   GuardWiring::FromConfig(config, "authz", local));
  GuardDependencies dependencies = wiring->dependencies();
  // A service deciding a call its user's delegation made asks Check with
  // that delegation (Check answers only about the caller itself).
  dependencies.accept_relayed_delegations = true;
  // Role changes go to the suite's audit log with the denials.
  RoleAdmin admin(&engine, store.get(), dependencies.audit);
  ASSIGN_OR_RETURN(CallGuard guard,
                   CallGuard::Create(v1::Authz::service_full_name(),
                                     dependencies));
  AuthzService service(&engine, &admin, std::move(guard));

  const ServerOptions options =
      ServerOptionsFrom(config, wiring->server_credentials());
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
