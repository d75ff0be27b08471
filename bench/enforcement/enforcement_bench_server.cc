// Enforcement benchmark server: in one process, on 127.0.0.1 port 0,
//   - fake authn and authz (reached only on cache misses),
//   - "on":  the real run-executor AgentsService behind a real CallGuard
//            whose authenticator and authorizer are the real remote clients
//            with their production cache bounds, pointed at the fakes,
//   - "off": the same registry with no guard,
//   - "proto": the prototype guard and remote clients of proto_guard.h and
//              proto_remote.h (the proposed cheaper warm path), same fakes.
// The Agents servers are built by the same StartServer with the same
// options and wrapped by the same counter. run_enforcement_bench.sh drives
// them with h2load.
//
// Usage: enforcement_bench_server --env_file=PATH --counters_file=PATH
//                                 --registry_file=PATH
//   registry_file  the registry served (run_enforcement_bench.sh passes
//                  tools/dev/registry.json), loaded like run-executor does
//   env_file       written once serving: ON_PORT, OFF_PORT, PROTO_PORT,
//                  FAKES_PORT, TOKEN
//   counters_file  rewritten (atomically) on every SIGUSR1: SEQ, ON_OK,
//                  ON_FAILED, OFF_OK, OFF_FAILED, PROTO_OK, PROTO_FAILED,
//                  AUTHN_CALLS, AUTHZ_CALLS (fakes behind "on"),
//                  PROTO_AUTHN_CALLS, PROTO_AUTHZ_CALLS (fakes behind "proto")
// SIGINT/SIGTERM print the counters and stop.
//
//        enforcement_bench_server --microbench
//   times the warm cache paths of the remote clients (reference and
//   prototype) in-process, on 1 and 2 threads, and exits.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "bench/enforcement/counting_agents.h"
#include "bench/enforcement/fake_auth.h"
#include "bench/enforcement/proto_guard.h"
#include "bench/enforcement/proto_remote.h"
#include "common/auth/call_guard.h"
#include "common/config/config.h"
#include "common/auth/remote.h"
#include "common/auth/remote_wiring.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/run_executor/registry_service.h"

namespace bastion::bench {
namespace {

// Same as the (file-private) capacity in common/auth/remote_wiring.cc.
constexpr size_t kCacheCapacity = 100000;

struct Flags {
  std::string env_file;
  std::string counters_file;
  std::string registry_file;
  bool microbench = false;
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--env_file=")) {
      flags.env_file = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--counters_file=")) {
      flags.counters_file = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--registry_file=")) {
      flags.registry_file = std::string(arg);
    } else if (arg == "--microbench") {
      flags.microbench = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
    }
  }
  if (!flags.microbench &&
      (flags.env_file.empty() || flags.counters_file.empty() ||
       flags.registry_file.empty())) {
    return absl::InvalidArgumentError(
        "usage: enforcement_bench_server --env_file=PATH --counters_file=PATH"
        " --registry_file=PATH | --microbench");
  }
  return flags;
}

// The registry file, read as run-executor's main.cc reads it (JSON, no
// environment overrides).
absl::StatusOr<runs::AgentRegistry> LoadRegistry(const std::string& path) {
  runs::v1::Registry registry;
  RETURN_IF_ERROR(LoadConfig(path, /*env_prefix=*/"BASTION_REGISTRY_",
                             [](absl::string_view) { return std::nullopt; },
                             &registry));
  return runs::AgentRegistry::Create(registry);
}

// Writes `text` to `path` through a rename, so readers never see half.
// (common/server/server.cc has the same for port files, but file-private.)
absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return absl::InvalidArgumentError("cannot write " + tmp);
    out << text;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InvalidArgumentError("cannot rename " + tmp);
  }
  return absl::OkStatus();
}

struct Counted {
  const CountingAgents* on;
  const CountingAgents* off;
  const CountingAgents* proto;
  const FakeAuthn* authn;
  const FakeAuthz* authz;
  const FakeAuthn* proto_authn;
  const FakeAuthz* proto_authz;
};

std::string CountersText(uint64_t seq, const Counted& counted) {
  return absl::StrCat(
      "SEQ=", seq, "\nON_OK=", counted.on->ok(),
      "\nON_FAILED=", counted.on->failed(), "\nOFF_OK=", counted.off->ok(),
      "\nOFF_FAILED=", counted.off->failed(),
      "\nPROTO_OK=", counted.proto->ok(),
      "\nPROTO_FAILED=", counted.proto->failed(),
      "\nAUTHN_CALLS=", counted.authn->calls(),
      "\nAUTHZ_CALLS=", counted.authz->calls(),
      "\nPROTO_AUTHN_CALLS=", counted.proto_authn->calls(),
      "\nPROTO_AUTHZ_CALLS=", counted.proto_authz->calls(), "\n");
}

// Nanoseconds per call of `op`, each of `threads` threads calling it
// `iterations` times at once.
double NanosPerCall(int threads, int iterations,
                    const std::function<void()>& op) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < iterations; ++i) op();
    });
  }
  for (std::thread& worker : workers) worker.join();
  const std::chrono::duration<double, std::nano> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / iterations;
}

// Times the warm paths. The credential cache still expires every second,
// so an occasional miss (one RPC to the local fake) is included, as in
// service.
void Microbench(const BenchIdentity& identity, Authenticator& reference_authn,
                Authorizer& reference_authz,
                ProtoRemoteAuthenticator& proto_authn,
                ProtoRemoteAuthorizer& proto_authz) {
  const Sha256Hasher hasher;
  const std::string authz_key = absl::StrCat(
      identity.assertion.size(), ":", identity.assertion, "6:agents4:read0:");
  const PermissionRequest wanted{"agents", "read", ""};
  absl::StatusOr<Caller> caller = reference_authn.Authenticate(identity.token);
  absl::StatusOr<std::shared_ptr<const SharedCaller>> proto_caller =
      proto_authn.Authenticate(identity.token);
  if (!caller.ok() || !proto_caller.ok()) {
    std::printf("microbench: warm-up failed\n");
    return;
  }
  struct Case {
    const char* name;
    std::function<void()> op;
  };
  const std::vector<Case> cases = {
      {"Sha256(token) via EVP_sha256() [remote.cc]",
       [&] { Sha256(identity.token); }},
      {"Sha256(token) prefetched EVP_MD [proto]",
       [&] { hasher(identity.token); }},
      {"Sha256(authz key) via EVP_sha256() [remote.cc]",
       [&] { Sha256(authz_key); }},
      {"Caller copy (principal + assertion)",
       [&] {
         Caller copy = *caller;
         (void)copy;
       }},
      {"RemoteAuthenticator::Authenticate warm",
       [&] { (void)reference_authn.Authenticate(identity.token); }},
      {"RemoteAuthorizer::Check warm",
       [&] { (void)reference_authz.Check(*caller, wanted); }},
      {"authn+authz warm [remote.cc]",
       [&] {
         absl::StatusOr<Caller> c =
             reference_authn.Authenticate(identity.token);
         (void)reference_authz.Check(*c, wanted);
       }},
      {"authn+authz warm [proto]",
       [&] {
         absl::StatusOr<std::shared_ptr<const SharedCaller>> c =
             proto_authn.Authenticate(identity.token);
         (void)proto_authz.Check(**c, wanted);
       }},
  };
  constexpr int kIterations = 100000;
  std::printf("%-48s %12s %12s\n", "warm path (ns per call, per thread)",
              "1 thread", "2 threads");
  for (const Case& c : cases) {
    NanosPerCall(1, kIterations / 10, c.op);  // warm
    const double one = NanosPerCall(1, kIterations, c.op);
    const double two = NanosPerCall(2, kIterations, c.op);
    std::printf("%-48s %12.0f %12.0f\n", c.name, one, two);
  }
  std::fflush(stdout);
}

absl::Status Run(const Flags& flags) {
  // Blocked before gRPC starts its threads, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const BenchIdentity identity =
      MakeBenchIdentity(absl::ToUnixSeconds(absl::Now()));

  // Identical for every server of the process.
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.shutdown_grace = absl::Seconds(1);

  FakeAuthn authn(&identity);
  FakeAuthz authz(&identity);
  ASSIGN_OR_RETURN(
      std::unique_ptr<RunningServer> fakes,
      StartServer(options, {{&authn, authn::v1::Authn::service_full_name()},
                            {&authz, authz::v1::Authz::service_full_name()}}));

  // The prototype clients get fakes of their own, to count their misses.
  FakeAuthn proto_authn(&identity);
  FakeAuthz proto_authz(&identity);
  ASSIGN_OR_RETURN(
      std::unique_ptr<RunningServer> proto_fakes,
      StartServer(options,
                  {{&proto_authn, authn::v1::Authn::service_full_name()},
                   {&proto_authz, authz::v1::Authz::service_full_name()}}));

  // The production remote clients with the production cache bounds.
  const std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", fakes->port()),
                          grpc::InsecureChannelCredentials());
  const std::shared_ptr<grpc::Channel> proto_channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", proto_fakes->port()),
                          grpc::InsecureChannelCredentials());
  const NowFunction now = [] { return absl::Now(); };
  RemoteAuthenticator authenticator(channel, kCredentialCacheTtl,
                                    kCacheCapacity, SystemClock::Get());
  RemoteAuthorizer authorizer(channel, kDecisionCacheTtl, kCacheCapacity,
                              SystemClock::Get());
  ProtoRemoteAuthenticator proto_authenticator(
      proto_channel, kCredentialCacheTtl, kCacheCapacity, now);
  ProtoRemoteAuthorizer proto_authorizer(proto_channel, kDecisionCacheTtl,
                                         kCacheCapacity, now);
  if (flags.microbench) {
    Microbench(identity, authenticator, authorizer, proto_authenticator,
               proto_authorizer);
    fakes->Shutdown();
    proto_fakes->Shutdown();
    return absl::OkStatus();
  }

  ASSIGN_OR_RETURN(runs::AgentRegistry registry,
                   LoadRegistry(flags.registry_file));
  const std::string agents_name = runs::v1::Agents::service_full_name();
  GuardDependencies dependencies;
  dependencies.authenticator = &authenticator;
  dependencies.authorizer = &authorizer;
  ASSIGN_OR_RETURN(CallGuard guard,
                   CallGuard::Create(agents_name, dependencies));
  ASSIGN_OR_RETURN(ProtoCallGuard proto_guard,
                   ProtoCallGuard::Create(agents_name, &proto_authenticator,
                                          &proto_authorizer));

  runs::AgentsService guarded(&registry, std::move(guard));
  CountingAgents on(&guarded);
  UnguardedAgents unguarded(&registry);
  CountingAgents off(&unguarded);
  ProtoAgentsService proto_guarded(&registry, std::move(proto_guard));
  CountingAgents proto(&proto_guarded);
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> on_server,
                   StartServer(options, {{&on, agents_name}}));
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> off_server,
                   StartServer(options, {{&off, agents_name}}));
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> proto_server,
                   StartServer(options, {{&proto, agents_name}}));

  const Counted counted{&on,    &off,         &proto,      &authn,
                        &authz, &proto_authn, &proto_authz};
  uint64_t seq = 0;
  RETURN_IF_ERROR(
      WriteAtomically(flags.counters_file, CountersText(seq, counted)));
  const std::string env = absl::StrCat(
      "ON_PORT=", on_server->port(), "\nOFF_PORT=", off_server->port(),
      "\nPROTO_PORT=", proto_server->port(), "\nFAKES_PORT=", fakes->port(),
      "\nTOKEN=", identity.token, "\n");
  RETURN_IF_ERROR(WriteAtomically(flags.env_file, env));
  std::printf(
      "on=127.0.0.1:%d off=127.0.0.1:%d proto=127.0.0.1:%d "
      "fakes=127.0.0.1:%d\n",
      on_server->port(), off_server->port(), proto_server->port(),
      fakes->port());
  std::fflush(stdout);

  while (true) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGUSR1) break;
    RETURN_IF_ERROR(
        WriteAtomically(flags.counters_file, CountersText(++seq, counted)));
  }
  std::printf("%s", CountersText(++seq, counted).c_str());
  std::fflush(stdout);
  on_server->Shutdown();
  off_server->Shutdown();
  proto_server->Shutdown();
  fakes->Shutdown();
  proto_fakes->Shutdown();
  return absl::OkStatus();
}

}  // namespace
}  // namespace bastion::bench

int main(int argc, char** argv) {
  bastion::SetLogService("enforcement_bench");
  absl::StatusOr<bastion::bench::Flags> flags =
      bastion::bench::ParseFlags(argc, argv);
  absl::Status status =
      flags.ok() ? bastion::bench::Run(*flags) : flags.status();
  if (!status.ok()) {
    bastion::Log(bastion::LogLevel::kError, "bench_failed",
                 {{"error", status.ToString()}});
    return 1;
  }
  return 0;
}
