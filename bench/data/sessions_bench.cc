// sessions_bench: "the 20 newest sessions of one user" through the data
// service's real Sessions gRPC adapter, call guard, sessions domain and
// row-level-security store (PgSessionStore), served in-process on a
// loopback port. The guard's authentication and authorization are answered
// by in-process fakes (a fixed principal, allow), so what is measured is
// the data path: gRPC, the principal settings and the query in one
// pipelined round trip, and RLS.
//
// --security=off serves the same RPC on the same gRPC server with the guard
// and row security switched off, for the cost of security on the same path:
// an adapter without a guard hands the fixed principal to the same domain,
// whose store sends the same list query (ListSql) without the principal
// settings, over a connection (--conninfo, then the superuser's) that row
// security does not apply to. This side exists only in this benchmark
// binary: the data service has no such switch, and its configuration
// refuses one (services/data/data_config_test).
//
//   sessions_bench --conninfo=C [--tenant=t1 --user=u0 --limit=20]
//                  [--security=on|off] --mode=M
//     rate     [--clients=8 --seconds=5 --warmup_seconds=1]: C++ gRPC clients
//              in this process; prints "rate calls_per_s=N calls=N errors=N"
//     latency  [--calls=2000]: one client, sequential; prints
//              "latency p50_us=N p99_us=N calls=N errors=N"
//     serve    --body_file=F --port_file=F: writes a gRPC-framed request for
//              an external load generator (h2load) and serves until SIGTERM;
//              then prints "served ok=N bad=N"
//     sql      prints the statements one such call sends, for replaying
//              them through pgbench: the principal settings, a line
//              "--", then the list query (neither needs --conninfo)
//
// Every answer is checked, by the client and by the store wrapper on the
// server side (exactly `limit` sessions, all of the user); a wrong answer
// counts as an error and makes the exit status 1.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "common/auth/caller.h"
#include "common/pg/pg_pool.h"
#include "common/pg/principal_transaction.h"
#include "common/server/finish.h"
#include "common/server/server.h"
#include "common/status/answer.h"
#include "common/status/grpc_status.h"
#include "services/data/sessions_service.h"
#include "services/data/domain/sessions.h"
#include "services/data/storage/pg_session_store.h"
#include "services/data/storage/session_store.h"

namespace bastion::data {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string conninfo;
  std::string mode = "rate";
  std::string tenant = "t1";
  std::string user = "u0";
  int limit = 20;
  int clients = 8;
  double seconds = 5;
  double warmup_seconds = 1;
  int calls = 2000;
  std::string body_file;
  std::string port_file;
  bool security = true;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad argument: %s\n", arg.c_str());
      return false;
    }
    kv[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  for (const auto& [key, value] : kv) {
    bool ok = true;
    if (key == "conninfo") {
      flags->conninfo = value;
    } else if (key == "mode") {
      flags->mode = value;
    } else if (key == "tenant") {
      flags->tenant = value;
    } else if (key == "user") {
      flags->user = value;
    } else if (key == "limit") {
      ok = absl::SimpleAtoi(value, &flags->limit);
    } else if (key == "clients") {
      ok = absl::SimpleAtoi(value, &flags->clients);
    } else if (key == "seconds") {
      ok = absl::SimpleAtod(value, &flags->seconds);
    } else if (key == "warmup_seconds") {
      ok = absl::SimpleAtod(value, &flags->warmup_seconds);
    } else if (key == "body_file") {
      flags->body_file = value;
    } else if (key == "port_file") {
      flags->port_file = value;
    } else if (key == "calls") {
      ok = absl::SimpleAtoi(value, &flags->calls);
    } else if (key == "security") {
      ok = value == "on" || value == "off";
      flags->security = value == "on";
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad flag --%s=%s\n", key.c_str(), value.c_str());
      return false;
    }
  }
  if ((flags->conninfo.empty() && flags->mode != "sql") ||
      flags->clients < 1 || flags->limit < 1 ||
      (flags->mode != "rate" && flags->mode != "latency" &&
       flags->mode != "serve" && flags->mode != "sql") ||
      (flags->mode == "serve" &&
       (flags->body_file.empty() || flags->port_file.empty()))) {
    std::fprintf(stderr, "usage: see the header of sessions_bench.cc\n");
    return false;
  }
  return true;
}

// The bench token stands for one fixed principal (a plain user).
class FixedPrincipal final : public Authenticator {
 public:
  explicit FixedPrincipal(common::v1::Principal principal)
      : principal_(std::move(principal)) {}
  absl::StatusOr<Caller> Authenticate(absl::string_view token) override {
    if (token != "bench") return absl::UnauthenticatedError("unknown token");
    return Caller{principal_, "bench-assertion"};
  }

 private:
  const common::v1::Principal principal_;
};

class AllowAll final : public Authorizer {
 public:
  absl::StatusOr<AuthzDecision> Check(const Caller&,
                                      const PermissionRequest&) override {
    AuthzDecision d;
    d.allowed = true;
    return d;
  }
};

// The real store, with every list answer checked on the server side.
class CheckedSessionStore final : public storage::SessionStore {
 public:
  CheckedSessionStore(storage::SessionStore* store, const Flags& flags)
      : store_(store), flags_(flags) {}

  absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const pg::PrincipalScope& scope, const storage::OwnerFilter& owner,
      const storage::Page& page,
      const v1::ListSessionsRequest& request) override {
    absl::StatusOr<v1::ListSessionsResponse> out =
        store_->ListSessions(scope, owner, page, request);
    bool good = out.ok() && out->sessions_size() == flags_.limit;
    if (good) {
      for (const v1::Session& s : out->sessions()) {
        good = good && s.user_id() == flags_.user &&
               s.tenant_id() == flags_.tenant;
      }
    }
    ++(good ? ok_ : bad_);
    return out;
  }
  absl::StatusOr<v1::Session> CreateSession(
      const pg::PrincipalScope& p,
      const v1::CreateSessionRequest& r) override {
    return store_->CreateSession(p, r);
  }
  absl::StatusOr<v1::Session> GetSession(
      const pg::PrincipalScope& p, const v1::GetSessionRequest& r) override {
    return store_->GetSession(p, r);
  }
  absl::StatusOr<v1::Session> UpdateSession(
      const pg::PrincipalScope& p,
      const v1::UpdateSessionRequest& r) override {
    return store_->UpdateSession(p, r);
  }
  absl::Status DeleteSession(const pg::PrincipalScope& p,
                             const v1::DeleteSessionRequest& r) override {
    return store_->DeleteSession(p, r);
  }
  absl::StatusOr<v1::DeleteSessionsResponse> DeleteSessions(
      const pg::PrincipalScope& p,
      const v1::DeleteSessionsRequest& r) override {
    return store_->DeleteSessions(p, r);
  }

  long ok() const { return ok_.load(); }
  long bad() const { return bad_.load(); }

 private:
  storage::SessionStore* store_;
  const Flags& flags_;
  std::atomic<long> ok_{0};
  std::atomic<long> bad_{0};
};

// --security=off: the list query the real store sends (ListSql), alone in
// its pipeline (no principal settings), on a connection row security does
// not apply to. Only ListSessions is served.
class UnsecuredSessionStore final : public storage::SessionStore {
 public:
  explicit UnsecuredSessionStore(pg::PgPool& pool) : pool_(pool) {}

  absl::StatusOr<v1::ListSessionsResponse> ListSessions(
      const pg::PrincipalScope&, const storage::OwnerFilter& owner,
      const storage::Page& page,
      const v1::ListSessionsRequest& request) override {
    const bool by_updated = request.sort_field() == v1::SORT_FIELD_UPDATED_AT;
    const bool asc = request.sort_order() == v1::SORT_ORDER_ASC;
    const pg::Statement list{
        storage::PgSessionStore::ListSql(storage::OneOwner(owner), by_updated,
                                         asc),
        storage::PageParams(page, {owner.tenant_id, owner.user_id,
                                   storage::ComponentTypeParam(
                                       request.component_type()),
                                   storage::OptionalParam(
                                       request.component_id())})};
    absl::StatusOr<pg::PgLease> lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    absl::StatusOr<std::vector<pg::PgResult>> rows =
        (*lease)->ExecutePipeline({&list, 1});
    if (!rows.ok()) {
      if (!(*lease)->IsReusable()) lease->Discard();
      return rows.status();
    }
    v1::ListSessionsResponse response;
    absl::Status filled = storage::FillPage(
        (*rows)[0], page,
        {by_updated ? "updated_us" : "created_us", "session_id"},
        storage::PgSessionStore::SessionOf, response.mutable_sessions(),
        response.mutable_page());
    if (!filled.ok()) return filled;
    return response;
  }
  absl::StatusOr<v1::Session> CreateSession(
      const pg::PrincipalScope&, const v1::CreateSessionRequest&) override {
    return absl::UnimplementedError("benchmark: lists only");
  }
  absl::StatusOr<v1::Session> GetSession(
      const pg::PrincipalScope&, const v1::GetSessionRequest&) override {
    return absl::UnimplementedError("benchmark: lists only");
  }
  absl::StatusOr<v1::Session> UpdateSession(
      const pg::PrincipalScope&, const v1::UpdateSessionRequest&) override {
    return absl::UnimplementedError("benchmark: lists only");
  }
  absl::Status DeleteSession(const pg::PrincipalScope&,
                             const v1::DeleteSessionRequest&) override {
    return absl::UnimplementedError("benchmark: lists only");
  }
  absl::StatusOr<v1::DeleteSessionsResponse> DeleteSessions(
      const pg::PrincipalScope&, const v1::DeleteSessionsRequest&) override {
    return absl::UnimplementedError("benchmark: lists only");
  }

 private:
  pg::PgPool& pool_;
};

// --security=off: the Sessions adapter without its guard; every call acts
// as the fixed principal. Only ListSessions is served.
class UnguardedSessionsService final : public v1::Sessions::CallbackService {
 public:
  UnguardedSessionsService(domain::Sessions* sessions, Caller caller)
      : sessions_(sessions), caller_(std::move(caller)) {}

  grpc::ServerUnaryReactor* ListSessions(
      grpc::CallbackServerContext* context,
      const v1::ListSessionsRequest* request,
      v1::ListSessionsResponse* response) override {
    return Finish(context,
                  ToGrpcStatus(Answer(sessions_->ListSessions(caller_, *request),
                                      response)));
  }

 private:
  domain::Sessions* sessions_;
  const Caller caller_;
};

// One client: its own channel (own connection) and stub.
class Client {
 public:
  Client(int port, const Flags& flags) : flags_(flags) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stub_ = v1::Sessions::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                  grpc::InsecureChannelCredentials(), args));
    request_.mutable_page()->set_limit(flags.limit);
  }

  // One call; false when it failed or answered anything but `limit` of the
  // user's sessions.
  bool Call() {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer bench");
    v1::ListSessionsResponse response;
    const grpc::Status status =
        stub_->ListSessions(&context, request_, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "call failed: %d %s\n", status.error_code(),
                   status.error_message().c_str());
      return false;
    }
    if (response.sessions_size() != flags_.limit) return false;
    for (const v1::Session& s : response.sessions()) {
      if (s.user_id() != flags_.user || s.tenant_id() != flags_.tenant) {
        return false;
      }
    }
    return true;
  }

 private:
  const Flags& flags_;
  std::unique_ptr<v1::Sessions::Stub> stub_;
  v1::ListSessionsRequest request_;
};

int Rate(int port, const Flags& flags) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < flags.clients; ++i) {
    clients.push_back(std::make_unique<Client>(port, flags));
  }
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<long> calls{0};
  std::atomic<long> errors{0};
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      while (!stop.load(std::memory_order_relaxed)) {
        const bool ok = c->Call();
        if (measuring.load(std::memory_order_relaxed)) {
          ++calls;
          if (!ok) ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(
      std::chrono::duration<double>(flags.warmup_seconds));
  measuring = true;
  const Clock::time_point start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(flags.seconds));
  measuring = false;
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("rate calls_per_s=%.0f calls=%ld errors=%ld clients=%d\n",
              calls.load() / elapsed, calls.load(), errors.load(),
              flags.clients);
  return errors.load() == 0 ? 0 : 1;
}

int Latency(int port, const Flags& flags) {
  Client client(port, flags);
  long errors = 0;
  for (int i = 0; i < std::max(100, flags.calls / 10); ++i) {
    if (!client.Call()) ++errors;
  }
  std::vector<double> micros;
  micros.reserve(flags.calls);
  for (int i = 0; i < flags.calls; ++i) {
    const Clock::time_point start = Clock::now();
    if (!client.Call()) ++errors;
    micros.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - start)
            .count());
  }
  std::sort(micros.begin(), micros.end());
  auto at = [&micros](double q) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(q * micros.size()))];
  };
  std::printf("latency p50_us=%.0f p99_us=%.0f calls=%d errors=%ld\n", at(0.50),
              at(0.99), flags.calls, errors);
  return errors == 0 ? 0 : 1;
}

// Writes the request as a gRPC length-prefixed message (for h2load -d).
bool WriteBody(const Flags& flags) {
  v1::ListSessionsRequest request;
  request.mutable_page()->set_limit(flags.limit);
  const std::string bytes = request.SerializeAsString();
  std::string framed(5, '\0');
  for (int i = 0; i < 4; ++i) {
    framed[1 + i] = static_cast<char>((bytes.size() >> (8 * (3 - i))) & 0xff);
  }
  framed += bytes;
  std::ofstream out(flags.body_file, std::ios::binary);
  out << framed;
  return static_cast<bool>(out);
}

int Serve(RunningServer& server, const CheckedSessionStore& checked,
          const Flags& flags) {
  if (!WriteBody(flags)) return 1;
  {
    std::ofstream port(flags.port_file + ".tmp");
    port << server.port() << "\n";
  }
  std::rename((flags.port_file + ".tmp").c_str(), flags.port_file.c_str());
  ServeUntilSignal(server);
  std::printf("served ok=%ld bad=%ld\n", checked.ok(), checked.bad());
  return checked.bad() == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  if (flags.mode == "sql") {
    // What the bench's call (one user, newest first) makes the store send.
    std::printf("%s\n--\n%s\n", pg::PrincipalSettingsSql(),
                storage::PgSessionStore::ListSql(/*one_owner=*/true,
                                                 /*by_updated=*/false,
                                                 /*ascending=*/false));
    return 0;
  }
  common::v1::Principal principal;
  principal.set_tenant_id(flags.tenant);
  principal.set_subject(flags.user);
  principal.add_scopes("sessions:read");
  principal.set_credential_kind(common::v1::CREDENTIAL_KIND_JWT);
  FixedPrincipal authn(principal);
  AllowAll authz;

  pg::PgPoolOptions pool_options;
  pool_options.conninfo = flags.conninfo;
  pool_options.max_size = flags.clients + 1;
  pg::PgPool pool(pool_options);
  storage::PgSessionStore secured_store(pool);
  UnsecuredSessionStore unsecured_store(pool);
  CheckedSessionStore checked(
      flags.security ? static_cast<storage::SessionStore*>(&secured_store)
                     : &unsecured_store,
      flags);
  domain::Sessions sessions(checked);
  auto guard = CallGuard::Create(
      v1::Sessions::service_full_name(),
      GuardDependencies{&authn, /*assertions=*/nullptr, &authz});
  if (!guard.ok()) {
    std::fprintf(stderr, "%s\n", guard.status().ToString().c_str());
    return 1;
  }
  SessionsService secured(&sessions, *std::move(guard));
  UnguardedSessionsService unsecured(&sessions, Caller{principal, ""});
  grpc::Service* service = flags.security
                               ? static_cast<grpc::Service*>(&secured)
                               : &unsecured;
  auto server = StartServer(ServerOptions(),
                            {{service, v1::Sessions::service_full_name()}});
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  if (flags.mode == "serve") return Serve(**server, checked, flags);
  int rc = flags.mode == "rate" ? Rate((*server)->port(), flags)
                                : Latency((*server)->port(), flags);
  (*server)->Shutdown();
  if (checked.bad() != 0) rc = 1;
  return rc;
}

}  // namespace
}  // namespace bastion::data

int main(int argc, char** argv) { return bastion::data::Main(argc, argv); }
