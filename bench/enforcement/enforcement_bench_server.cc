// Enforcement benchmark server: in one process, on 127.0.0.1 port 0,
//   - fake authn and authz (reached only on cache misses),
//   - "on":  the real run-executor AgentsService behind a real CallGuard
//            whose authenticator and authorizer are the real remote clients
//            with their production cache bounds, pointed at the fakes,
//   - "off": the same registry with no guard.
// Both Agents servers are built by the same StartServer with the same
// options and wrapped by the same counter. run_enforcement_bench.sh drives
// them with h2load.
//
// Usage: enforcement_bench_server --env_file=PATH --counters_file=PATH
//   env_file       written once serving: ON_PORT, OFF_PORT, FAKES_PORT, TOKEN
//   counters_file  rewritten (atomically) on every SIGUSR1: SEQ, ON_OK,
//                  ON_FAILED, OFF_OK, OFF_FAILED, AUTHN_CALLS, AUTHZ_CALLS
// SIGINT/SIGTERM print the counters and stop.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "bench/enforcement/counting_agents.h"
#include "bench/enforcement/fake_auth.h"
#include "common/auth/call_guard.h"
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
};

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--env_file=")) {
      flags.env_file = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--counters_file=")) {
      flags.counters_file = std::string(arg);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
    }
  }
  if (flags.env_file.empty() || flags.counters_file.empty()) {
    return absl::InvalidArgumentError(
        "usage: enforcement_bench_server --env_file=PATH --counters_file=PATH");
  }
  return flags;
}

// The two agents of tools/dev/registry.json.
absl::StatusOr<runs::AgentRegistry> BenchRegistry() {
  runs::v1::Registry registry;
  runs::v1::Agent* echo = registry.add_agents();
  echo->set_agent_id("echo");
  echo->set_name("Echo");
  echo->set_description("Repeats what it is told (deterministic scripted model).");
  echo->set_model("scripted:echo");
  echo->set_instructions("Repeat the user's message.");
  runs::v1::Agent* ops = registry.add_agents();
  ops->set_agent_id("ops");
  ops->set_name("Ops assistant");
  ops->set_description("Can restart services; every restart needs an approver.");
  ops->set_model("scripted:tool-call");
  runs::v1::ToolSpec* tool = ops->add_tools();
  tool->set_name("restart_service");
  tool->set_description("Restarts a service by name.");
  tool->set_parameters_json_schema(
      R"({"type":"object","properties":{"name":{"type":"string"}},)"
      R"("required":["name"]})");
  tool->set_requires_approval(true);
  return runs::AgentRegistry::Create(registry);
}

// Writes `text` to `path` through a rename, so readers never see half.
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
  return absl::StrCat("SEQ=", seq, "\nON_OK=", counted.on->ok(),
                      "\nON_FAILED=", counted.on->failed(),
                      "\nOFF_OK=", counted.off->ok(),
                      "\nOFF_FAILED=", counted.off->failed(),
                      "\nAUTHN_CALLS=", counted.authn->calls(),
                      "\nAUTHZ_CALLS=", counted.authz->calls(), "\n");
}

absl::Status Run(const Flags& flags) {
  // Blocked before gRPC starts its threads, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ASSIGN_OR_RETURN(runs::AgentRegistry registry, BenchRegistry());
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
  const NowFunction now = [] { return absl::Now(); };
  RemoteAuthenticator authenticator(channel, kCredentialCacheTtl,
                                    kCacheCapacity, now);
  RemoteAuthorizer authorizer(channel, kDecisionCacheTtl, kCacheCapacity, now);
  GuardDependencies dependencies;
  dependencies.authenticator = &authenticator;
  dependencies.authorizer = &authorizer;
  ASSIGN_OR_RETURN(CallGuard guard,
                   CallGuard::Create(runs::v1::Agents::service_full_name(),
                                     dependencies));

  runs::AgentsService guarded(&registry, std::move(guard));
  CountingAgents on(&guarded);
  UnguardedAgents unguarded(&registry);
  CountingAgents off(&unguarded);
  const std::string agents_name = runs::v1::Agents::service_full_name();
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> on_server,
                   StartServer(options, {{&on, agents_name}}));
  ASSIGN_OR_RETURN(std::unique_ptr<RunningServer> off_server,
                   StartServer(options, {{&off, agents_name}}));

  const Counted counted{&on, &off, &authn, &authz};
  uint64_t seq = 0;
  RETURN_IF_ERROR(WriteAtomically(flags.counters_file,
                                  CountersText(seq, counted)));
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
    RETURN_IF_ERROR(WriteAtomically(flags.counters_file,
                                    CountersText(++seq, counted)));
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
