// Bootstrap shared by every Bastion binary: permission check at startup,
// gRPC health checking, server reflection, port 0, graceful shutdown on
// SIGINT/SIGTERM.
#ifndef BASTION_COMMON_SERVER_SERVER_H_
#define BASTION_COMMON_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bastion {

// A service implementation and the full proto name it implements
// (e.g. "bastion.data.v1.Sessions"), used to check its permissions.
struct ServiceBinding {
  grpc::Service* service;
  std::string full_name;
};

// The full names of `services`.
std::vector<std::string> Names(const std::vector<ServiceBinding>& services);

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port.
  std::string listen_address = "127.0.0.1:0";
  // When set, the chosen port is written here (for scripts and tests).
  std::string port_file;
  // Transport credentials; insecure when null.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // How long in-flight calls may take to finish on shutdown.
  absl::Duration shutdown_grace = absl::Seconds(5);
  // Answers calls to methods no registered service implements (for example
  // a guard that denies, then says UNIMPLEMENTED); not owned. Its services'
  // permissions are checked at startup like the others'.
  grpc::CallbackGenericService* fallback = nullptr;
  std::vector<std::string> fallback_services;
  // Largest request message accepted.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // Every request header together: room for a credential at its cap
  // (kMaxCredentialBytes) next to the other headers, so that the guard, not
  // the transport, refuses an oversized credential.
  int max_metadata_bytes = 16 * 1024;
};

// A started server. Thread-safe; Shutdown may be called from any thread.
class RunningServer {
 public:
  RunningServer(std::unique_ptr<grpc::Server> server, int port,
                absl::Duration shutdown_grace);
  ~RunningServer();

  int port() const { return port_; }
  // Stops accepting calls and waits up to the grace period for running ones.
  void Shutdown();
  // Blocks until the server has shut down.
  void Wait();

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_;
  absl::Duration shutdown_grace_;
};

// Listen address, port file and credentials from a service config message
// (fields listen_address, port_file); other options keep their defaults.
template <typename Config>
ServerOptions ServerOptionsFrom(
    const Config& config, std::shared_ptr<grpc::ServerCredentials> credentials) {
  ServerOptions options;
  if (!config.listen_address().empty()) {
    options.listen_address = config.listen_address();
  }
  options.port_file = config.port_file();
  options.credentials = std::move(credentials);
  return options;
}

// Builds and starts a server for `services`. Refuses to start
// (FAILED_PRECONDITION) when any method lacks a declared permission, and
// UNAVAILABLE when the address cannot be bound. A request that does not
// parse answers INVALID_ARGUMENT (malformed_request.h).
absl::StatusOr<std::unique_ptr<RunningServer>> StartServer(
    const ServerOptions& options, const std::vector<ServiceBinding>& services);

// Installs SIGINT/SIGTERM handlers, then blocks until one arrives and shuts
// `server` down gracefully.
void ServeUntilSignal(RunningServer& server);

}  // namespace bastion

#endif  // BASTION_COMMON_SERVER_SERVER_H_
