#include "common/server/server.h"

#include <semaphore.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include <grpc/impl/codegen/grpc_types.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/server/malformed_request.h"
#include "common/server/permission_table.h"

namespace bastion {
namespace {

// Pings from a client on a connection without calls are accepted this often
// (half the suite's client keepalive time, so jitter never makes one a
// strike).
constexpr int kMinClientPingIntervalMs = 30 * 1000;

sem_t shutdown_semaphore;

extern "C" void OnShutdownSignal(int) {
  sem_post(&shutdown_semaphore);  // async-signal-safe
}

absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return absl::InvalidArgumentError("cannot write " + tmp);
    out << port << "\n";
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InvalidArgumentError("cannot rename " + tmp);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> Names(const std::vector<ServiceBinding>& services) {
  std::vector<std::string> names;
  for (const ServiceBinding& binding : services) {
    names.push_back(binding.full_name);
  }
  return names;
}

RunningServer::RunningServer(std::unique_ptr<grpc::Server> server, int port,
                             absl::Duration shutdown_grace)
    : server_(std::move(server)), port_(port), shutdown_grace_(shutdown_grace) {}

RunningServer::~RunningServer() {
  Shutdown();
  Wait();
}

void RunningServer::Shutdown() {
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(absl::ToChronoTime(absl::Now() + shutdown_grace_));
}

void RunningServer::Wait() { server_->Wait(); }

absl::StatusOr<std::unique_ptr<RunningServer>> StartServer(
    const ServerOptions& options, const std::vector<ServiceBinding>& services) {
  std::vector<std::string> names = Names(services);
  names.insert(names.end(), options.fallback_services.begin(),
               options.fallback_services.end());
  absl::Status declared = ValidatePermissions(names);
  if (!declared.ok()) return declared;

  // Abseil's mutex deadlock detection is a debugging aid that records
  // every lock in a graph (about 3% of a busy service's CPU here): off in
  // a serving process; the unit tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen_address,
                           options.credentials != nullptr
                               ? options.credentials
                               : grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE, options.max_metadata_bytes);
  // Clients of the suite ping idle connections every minute
  // (common/auth/channel_factory.h): accepted, never answered with GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             kMinClientPingIntervalMs);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<MalformedRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (const ServiceBinding& binding : services) {
    builder.RegisterService(binding.service);
  }
  if (options.fallback != nullptr) {
    builder.RegisterCallbackGenericService(options.fallback);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address));
  }
  // Every registered service is serving; "" is the whole server.
  server->GetHealthCheckService()->SetServingStatus(true);
  if (!options.port_file.empty()) {
    absl::Status written = WritePortFile(options.port_file, port);
    if (!written.ok()) return written;
  }
  Log(LogLevel::kInfo, "listening",
      {{"address", options.listen_address}, {"port", absl::StrCat(port)}});
  return std::make_unique<RunningServer>(std::move(server), port,
                                         options.shutdown_grace);
}

void ServeUntilSignal(RunningServer& server) {
  sem_init(&shutdown_semaphore, 0, 0);
  struct sigaction action = {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  while (sem_wait(&shutdown_semaphore) != 0) {
    // EINTR: keep waiting.
  }
  Log(LogLevel::kInfo, "shutting_down");
  server.Shutdown();
  server.Wait();
  Log(LogLevel::kInfo, "stopped");
}

}  // namespace bastion
