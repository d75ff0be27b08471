// Enforcement benchmark server: in one process, on 127.0.0.1 port 0,
//   - fake authn and authz (reached only on cache misses),
//   - "on":  the real run-executor AgentsService behind a real CallGuard
//            whose authenticator and authorizer are the real remote clients
//            with their production cache bounds, pointed at the fakes,
//   - "off": the same registry with no guard.
// The Agents servers are built by the same StartServer with the same
// options and wrapped by the same counter. run_enforcement_bench.sh drives
// them with h2load.
//
// Usage: enforcement_bench_server --env_file=PATH --counters_file=PATH
//                                 --registry_file=PATH
//   registry_file  the registry served (run_enforcement_bench.sh passes
//                  tools/dev/registry.json), loaded like run-executor does
//   env_file       written once serving: ON_PORT, OFF_PORT, FAKES_PORT,
//                  TOKEN
//   counters_file  rewritten (atomically) on every SIGUSR1: SEQ, ON_OK,
//                  ON_FAILED, OFF_OK, OFF_FAILED, AUTHN_CALLS, AUTHZ_CALLS
//                  (calls that reached the fakes)
// SIGINT/SIGTERM print the counters and stop.
//
//        enforcement_bench_server --microbench
//   times the warm cache paths of the remote clients in-process, on 1 and
//   2 threads, and exits.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "bench/enforcement/counting_agents.h"
#include "bench/enforcement/fake_auth.h"
#include "common/auth/call_guard.h"
#include "common/auth/remote.h"
#include "common/auth/guard_wiring.h"
#include "common/auth/sha256.h"
#include "common/config/config.h"
#include "common/log/log.h"
#include "common/server/server.h"
#include "common/status/status_macros.h"
#include "services/run_executor/registry_service.h"

namespace bastion::bench {
namespace {

// Same as the (file-private) capacity in common/auth/guard_wiring.cc.
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
  const FakeAuthn* authn;
  const FakeAuthz* authz;
};

std::string CountersText(uint64_t seq, const Counted& counted) {
  return absl::StrCat(
      "SEQ=", seq, "\nON_OK=", counted.on->ok(),
      "\nON_FAILED=", counted.on->failed(), "\nOFF_OK=", counted.off->ok(),
      "\nOFF_FAILED=", counted.off->failed(),
      "\nAUTHN_CALLS=", counted.authn->calls(),
      "\nAUTHZ_CALLS=", counted.authz->calls(), "\n");
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
void Microbench(const BenchIdentity& identity, Authenticator& authenticator,
                Authorizer& authorizer) {
  const PermissionRequest wanted{"agents", "read", ""};
  absl::StatusOr<Caller> caller = authenticator.Authenticate(identity.token);
  if (!caller.ok()) {
    std::printf("microbench: warm-up failed\n");
    return;
  }
  struct Case {
    const char* name;
    std::function<void()> op;
  };
  const std::vector<Case> cases = {
      {"Sha256(token) [common/auth/sha256.h]",
       [&] { Sha256(identity.token); }},
      {"Caller copy (principal + assertion)",
       [&] {
         Caller copy = *caller;
         (void)copy;
       }},
      {"RemoteAuthenticator::Authenticate warm",
       [&] { (void)authenticator.Authenticate(identity.token); }},
      {"RemoteAuthorizer::Check warm",
       [&] { (void)authorizer.Check(*caller, wanted); }},
      {"authn+authz warm",
       [&] {
         absl::StatusOr<Caller> c = authenticator.Authenticate(identity.token);
         (void)authorizer.Check(*c, wanted);
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

  // The production remote clients with the production cache bounds.
  const std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", fakes->port()),
                          grpc::InsecureChannelCredentials());
  RemoteAuthenticator authenticator(channel, kCredentialCacheTtl,
                                    kCacheCapacity, SystemClock::Get());
  RemoteAuthorizer authorizer(channel, kDecisionCacheTtl, kCacheCapacity,
                              SystemClock::Get());
  if (flags.microbench) {
    Microbench(identity, authenticator, authorizer);
    fakes->Shutdown();
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

  runs::AgentsService guarded(&registry, std::move(guard), &authorizer);
  CountingAgents on(&guarded);
  UnguardedAgents unguarded(&registry);
  CountingAgents off(&unguarded);
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> on_server,
                   StartServer(options, {{&on, agents_name}}));
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> off_server,
                   StartServer(options, {{&off, agents_name}}));

  const Counted counted{&on, &off, &authn, &authz};
  uint64_t seq = 0;
  RETURN_IF_ERROR(
      WriteAtomically(flags.counters_file, CountersText(seq, counted)));
  const std::string env = absl::StrCat(
      "ON_PORT=", on_server->port(), "\nOFF_PORT=", off_server->port(),
      "\nFAKES_PORT=", fakes->port(), "\nTOKEN=", identity.token, "\n");
  RETURN_IF_ERROR(WriteAtomically(flags.env_file, env));
  std::printf("on=127.0.0.1:%d off=127.0.0.1:%d fakes=127.0.0.1:%d\n",
              on_server->port(), off_server->port(), fakes->port());
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
  fakes->Shutdown();
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
