// data: sessions, memories, traces, runs, approvals, schedules and audit in
// PostgreSQL, every query run as the verified principal.
#include "bastion/data/v1/data_config.pb.h"
#include "absl/time/clock.h"
#include "common/auth/guarded_fallback.h"
#include "common/auth/guard_wiring.h"
#include "common/auth/remote_audit.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/pg/pg_pool.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/data/audit_writer_service.h"
#include "services/data/data_services.h"
#include "services/data/domain/audit.h"
#ifdef BASTION_BENCHMARK_ONLY_UNSECURED
#include "bench/runs/unsecured_guard.h"
#endif

namespace bastion::data {
namespace {

// `guard_parts`: empty (authn and authz are asked over the network), except
// in the benchmark-only build (see main).
absl::Status Run(const std::string& config_path, LocalGuardParts guard_parts) {
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
  // Declared before `wiring`, whose audit queue flushes into it on shutdown.
  domain::AuditWriter audit_writer(pool);

  // Denials here go straight to the audit table; other services send
  // theirs through AuditWriter.
  LocalGuardParts local = std::move(guard_parts);
  local.audit_writer = [&](const std::vector<AuditRecord>& records) {
    google::protobuf::RepeatedPtrField<v1::AuditEvent> events;
    events.Reserve(static_cast<int>(records.size()));
    for (const AuditRecord& record : records) {
      *events.Add() = AuditEventFrom(record);
    }
    return audit_writer.Append(events, absl::Now());
  };
  ASSIGN_OR_RETURN(std::unique_ptr<GuardWiring> wiring,
                   GuardWiring::FromConfig(config, "data", std::move(local)));
  const GuardDependencies& dependencies = wiring->dependencies();
  ASSIGN_OR_RETURN(std::unique_ptr<DataServices> services,
                   DataServices::Create(pool, dependencies));
  ASSIGN_OR_RETURN(CallGuard writer_guard,
                   CallGuard::Create(v1::AuditWriter::service_full_name(),
                                     dependencies));
  AuditWriterService audit_writer_service(&audit_writer, std::move(writer_guard));
  std::vector<ServiceBinding> served = services->Bindings();
  served.push_back(
      {&audit_writer_service, v1::AuditWriter::service_full_name()});
  // A service declared in data.proto but not served yet: guarded, then
  // UNIMPLEMENTED (none today; unknown methods get UNIMPLEMENTED as well).
  return ServeDeclared(ServerOptionsFrom(config, wiring->server_credentials()),
                       served,
                       *v1::Session::descriptor()->file(), dependencies);
}

}  // namespace
}  // namespace bastion::data

int main(int argc, char** argv) {
  bastion::SetLogService("data");
  bastion::LocalGuardParts guard_parts;
#ifdef BASTION_BENCHMARK_ONLY_UNSECURED
  // Only the benchmark's build of this file (bench/runs/BUILD) takes
  // "--security=off" after the config path; the service target has no such
  // argument and its configuration no such key.
  bastion::bench::UnsecuredGuard unsecured;
  absl::StatusOr<bastion::LocalGuardParts> parts =
      bastion::bench::PartsFromArgs(argc, argv, &unsecured, {});
  if (!parts.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", parts.status().ToString()}});
    return 2;
  }
  guard_parts = *std::move(parts);
#endif
  absl::Status status =
      bastion::data::Run(argc > 1 ? argv[1] : "", std::move(guard_parts));
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "startup_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
