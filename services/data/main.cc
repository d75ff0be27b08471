// data: sessions (and, as they land, memories, traces, runs, approvals and
// audit) in PostgreSQL, every query run as the verified principal.
#include "bastion/data/v1/data_config.pb.h"
#include "common/auth/guarded_fallback.h"
#include "common/auth/remote_wiring.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/pg/pg_pool.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/data/sessions_service.h"
#include "services/data/storage/pg_session_store.h"

namespace bastion::data {
namespace {

absl::Status Run(const std::string& config_path) {
  v1::DataConfig config;
  RETURN_IF_ERROR(LoadConfig(config_path, "BASTION_", ProcessEnv(), &config));
  if (config.database_url().empty()) {
    return absl::InvalidArgumentError("database_url: required");
  }
  pg::PgPoolOptions pool_options;
  pool_options.conninfo = config.database_url();
  if (config.database_pool_size() > 0) {
    pool_options.max_size = config.database_pool_size();
  }
  pg::PgPool pool(pool_options);
  storage::PgSessionStore sessions_store(pool);

  RemoteAuth auth(config.authn_address(), config.authz_address(),
                  AudienceOrDefault(config.assertion_audience()));
  ASSIGN_OR_RETURN(CallGuard sessions_guard,
                   CallGuard::Create(v1::Sessions::service_full_name(),
                                     auth.dependencies()));
  SessionsService sessions(&sessions_store, std::move(sessions_guard));

  const std::vector<ServiceBinding> served = {
      {&sessions, v1::Sessions::service_full_name()}};
  // Services whose adapters are not wired yet: guarded, then UNIMPLEMENTED.
  ServerOptions options;
  options.fallback_services =
      UnservedServices(*v1::Session::descriptor()->file(), Names(served));
  ASSIGN_OR_RETURN(std::unique_ptr<GuardedFallbackService> fallback,
                   GuardedFallbackService::Create(options.fallback_services,
                                                  auth.dependencies()));
  options.fallback = fallback.get();
  if (!config.listen_address().empty()) {
    options.listen_address = config.listen_address();
  }
  options.port_file = config.port_file();
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> server,
                   StartServer(options, served));
  ServeUntilSignal(*server);
  return absl::OkStatus();
}

}  // namespace
}  // namespace bastion::data

int main(int argc, char** argv) {
  bastion::SetLogService("data");
  absl::Status status = bastion::data::Run(argc > 1 ? argv[1] : "");
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
