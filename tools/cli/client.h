// The bastion command's connection to the suite: which address serves each
// service (flags, environment, or tools/up.sh's defaults), TLS, the bearer
// credential on every call, a deadline, and gRPC statuses turned into
// absl::Status with the address named when a service cannot be reached.
#ifndef BASTION_TOOLS_CLI_CLIENT_H_
#define BASTION_TOOLS_CLI_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/status/grpc_status.h"
#include "common/tls/tls_config.h"
#include "tools/cli/args.h"

namespace bastion::cli {

// The services the command talks to.
enum class Service { kAuthn, kData, kRuns };

// Where each service listens.
struct Endpoints {
  std::string authn;
  std::string data;
  std::string runs;  // run-executor
  const std::string& For(Service service) const;
  std::string& For(Service service);
};

// Addresses, first match wins for each service: its own flag
// (--authn-addr, --data-addr, --runs-addr), --addr (one address for all,
// e.g. a gateway), its own environment variable (BASTION_AUTHN_ADDR,
// BASTION_DATA_ADDR, BASTION_RUNS_ADDR), BASTION_ADDR, and tools/up.sh's
// layout 127.0.0.1:BASE+1 / +3 / +4 with BASE = BASTION_PORT_BASE or 7000.
// Usage error for an empty or malformed address or port base.
absl::StatusOr<Endpoints> ResolveEndpoints(
    const ParsedArgs& global, const std::map<std::string, std::string>& env);

std::string ServiceName(Service service);

// Channels (one per service, made on first use) and per-call contexts.
// Not thread-safe: one per command run.
class Client {
 public:
  // `credential` goes out as `authorization: Bearer <credential>` on every
  // call; empty sends none (authn's public Authenticate).
  Client(Endpoints endpoints, tls::TlsFiles tls, absl::Duration timeout,
         std::string credential);

  // One unary call: `(stub.*method)(context, request, response)` on the
  // service's channel, with the credential and the deadline.
  template <typename Stub, typename Request, typename Response>
  absl::Status Call(Service service,
                    grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Request& request, Response* response) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        ChannelFor(service);
    if (!channel.ok()) return channel.status();
    Stub stub(*channel);
    grpc::ClientContext context;
    Prepare(&context);
    return Translate(service, (stub.*method)(&context, request, response));
  }

  // One server-streaming call: hands each message, in order, to
  // `on_message` (returning absl::Status) until the stream ends, a handler
  // returns an error (the call is then cancelled and that error returned) or
  // `deadline` passes; nullopt follows the stream as long as it lasts.
  template <typename Stub, typename Request, typename Message,
            typename OnMessage>
  absl::Status Stream(Service service,
                      std::unique_ptr<grpc::ClientReader<Message>> (
                          Stub::*method)(grpc::ClientContext*, const Request&),
                      const Request& request,
                      std::optional<absl::Duration> deadline,
                      OnMessage&& on_message) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        ChannelFor(service);
    if (!channel.ok()) return channel.status();
    Stub stub(*channel);
    grpc::ClientContext context;
    Prepare(&context, deadline);
    std::unique_ptr<grpc::ClientReader<Message>> reader =
        (stub.*method)(&context, request);
    Message message;
    while (reader->Read(&message)) {
      absl::Status handled = on_message(message);
      if (!handled.ok()) {
        context.TryCancel();
        reader->Finish();
        return handled;
      }
    }
    return Translate(service, reader->Finish());
  }

 private:
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFor(Service service);
  void Prepare(grpc::ClientContext* context) const;
  void Prepare(grpc::ClientContext* context,
               std::optional<absl::Duration> deadline) const;
  absl::Status Translate(Service service, const grpc::Status& status) const;

  Endpoints endpoints_;
  tls::TlsFiles tls_;
  absl::Duration timeout_;
  std::string credential_;
  std::map<Service, std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_CLIENT_H_
