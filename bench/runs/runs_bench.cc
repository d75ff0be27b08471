// runs_bench: concurrent RunAgent streams of scripted agents against a
// running run-executor (bench/runs/run_runs_bench.sh starts it with authn,
// authz, data and PostgreSQL, secured or with security off).
//
//   runs_bench --target=HOST:PORT --tokens_file=F --mode=M [--streams=200]
//     rate   [--agent=bench-echo --words=8 --seconds=10 --warmup_seconds=2]:
//            `streams` workers, each running one run after another; prints
//            "rate runs_per_s=N runs=N errors=N first_event_p50_ms=...
//            first_event_p99_ms=... completion_p50_ms=... completion_p99_ms=...
//            total_runs=N" (runs started in the measured `seconds` after
//            the warm-up, over the time until the last of them ended, and
//            their latencies; total_runs: every run the process made,
//            warm-up included, for CPU per run)
//     hold   --tool_port=P --pid=PID [--agent=bench-hold]: serves the agent's
//            remote tool on 127.0.0.1:P, which holds every call until all
//            `streams` runs are inside it; samples the run-executor's VmRSS
//            (/proc/PID/status) before any run and while all streams are
//            open, then releases them; prints "hold streams=N
//            rss_idle_kib=N rss_open_kib=N per_stream_kib=N errors=N"
//
// Worker i uses token i mod (tokens in the file), one channel per token.
// Every run must stream a started event first and end with completed,
// whose output is checked (the input's words for bench-echo, the tool's
// answer for bench-hold); anything else counts as an error and makes the
// exit status 1.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bastion/runs/v1/runs.grpc.pb.h"

namespace bastion::runs {
namespace {

using Clock = std::chrono::steady_clock;

// The tool's answer, which the hold agent's reply repeats.
constexpr char kHoldAnswer[] = "released";

struct Flags {
  std::string target;
  std::string tokens_file;
  std::string mode;
  std::string agent;
  int streams = 200;
  int words = 8;
  double seconds = 10;
  double warmup_seconds = 2;
  int tool_port = 0;
  int pid = 0;
};

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad argument: %s\n", arg.c_str());
      return false;
    }
    const std::string key = arg.substr(2, eq - 2);
    const std::string value = arg.substr(eq + 1);
    bool ok = true;
    if (key == "target") {
      flags->target = value;
    } else if (key == "tokens_file") {
      flags->tokens_file = value;
    } else if (key == "mode") {
      flags->mode = value;
    } else if (key == "agent") {
      flags->agent = value;
    } else if (key == "streams") {
      ok = absl::SimpleAtoi(value, &flags->streams);
    } else if (key == "words") {
      ok = absl::SimpleAtoi(value, &flags->words);
    } else if (key == "seconds") {
      ok = absl::SimpleAtod(value, &flags->seconds);
    } else if (key == "warmup_seconds") {
      ok = absl::SimpleAtod(value, &flags->warmup_seconds);
    } else if (key == "tool_port") {
      ok = absl::SimpleAtoi(value, &flags->tool_port);
    } else if (key == "pid") {
      ok = absl::SimpleAtoi(value, &flags->pid);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "bad flag %s\n", arg.c_str());
      return false;
    }
  }
  if (flags->agent.empty()) {
    flags->agent = flags->mode == "hold" ? "bench-hold" : "bench-echo";
  }
  if (flags->target.empty() || flags->tokens_file.empty() ||
      flags->streams < 1 || flags->words < 1 ||
      (flags->mode != "rate" && flags->mode != "hold") ||
      (flags->mode == "hold" && (flags->tool_port <= 0 || flags->pid <= 0))) {
    std::fprintf(stderr, "usage: see the header of runs_bench.cc\n");
    return false;
  }
  return true;
}

// One run's outcome and timings (milliseconds from the call's start).
struct RunResult {
  bool ok = false;
  double first_event_ms = 0;
  double completion_ms = 0;
};

class Runner {
 public:
  Runner(const Flags& flags, std::vector<std::string> tokens)
      : tokens_(std::move(tokens)) {
    for (size_t i = 0; i < tokens_.size(); ++i) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      stubs_.push_back(v1::Runs::NewStub(grpc::CreateCustomChannel(
          flags.target, grpc::InsecureChannelCredentials(), args)));
    }
  }

  // One RunAgent stream of worker `worker`, read to its end; `expected` is
  // the completed event's output.
  RunResult Run(int worker, const v1::RunAgentRequest& request,
                const std::string& expected) const {
    const size_t user = static_cast<size_t>(worker) % tokens_.size();
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + tokens_[user]);
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(120));
    // A connection this loaded machine was slow to set up (one of the
    // channels, now and then, when 200 streams start at once) is waited
    // for, not counted as a failed run: the benchmark measures runs.
    context.set_wait_for_ready(true);
    const Clock::time_point start = Clock::now();
    std::unique_ptr<grpc::ClientReader<v1::RunEvent>> reader =
        stubs_[user]->RunAgent(&context, request);
    RunResult result;
    v1::RunEvent event;
    bool first = true;
    bool started = false;
    bool completed = false;
    while (reader->Read(&event)) {
      const double ms =
          std::chrono::duration<double, std::milli>(Clock::now() - start)
              .count();
      if (first) {
        result.first_event_ms = ms;
        started = event.has_started();
        first = false;
      }
      if (event.has_completed()) {
        completed = event.completed().output() == expected;
        if (!completed) {
          std::fprintf(stderr, "unexpected output: %s\n",
                       event.completed().output().c_str());
        }
        result.completion_ms = ms;
      } else if (event.has_failed() || event.has_cancelled() ||
                 event.has_paused()) {
        std::fprintf(stderr, "run ended with %s\n",
                     event.DebugString().c_str());
      }
    }
    const grpc::Status status = reader->Finish();
    if (!status.ok()) {
      std::fprintf(stderr, "RunAgent: %d %s\n", status.error_code(),
                   status.error_message().c_str());
    }
    result.ok = status.ok() && started && completed;
    return result;
  }

 private:
  const std::vector<std::string> tokens_;
  std::vector<std::unique_ptr<v1::Runs::Stub>> stubs_;
};

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1,
                         static_cast<size_t>(q * values.size()))];
}

int Rate(const Flags& flags, const Runner& runner) {
  std::string input;
  for (int i = 0; i < flags.words; ++i) {
    absl::StrAppend(&input, i == 0 ? "" : " ", "w", i);
  }
  v1::RunAgentRequest request;
  request.set_agent_id(flags.agent);
  request.set_input(input);

  // Every stream runs warm-up runs for warmup_seconds, then waits for the
  // others at a barrier: the measurement starts (t0) when all have arrived,
  // so no warm-up run is still in progress. Each stream then starts runs
  // until t0 + seconds and finishes the one it is in; the rate is the runs
  // started after t0 over the time from t0 to the end of the last one. All
  // streams start together and finish their runs in waves, so a fixed
  // window would count whole waves (a rate off by up to one wave); this
  // counts the work done, whatever the phase.
  const Clock::time_point warm_until =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(flags.warmup_seconds));
  const Clock::duration measure_for =
      std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(flags.seconds));
  std::atomic<long> errors{0};
  std::atomic<long> total{0};
  std::mutex mu;
  std::condition_variable arrived_cv;
  int arrived = 0;
  Clock::time_point t0;
  Clock::time_point last_end;
  std::vector<double> first_event;
  std::vector<double> completion;
  std::vector<std::thread> workers;
  for (int w = 0; w < flags.streams; ++w) {
    workers.emplace_back([&, w] {
      while (Clock::now() < warm_until) {
        (void)runner.Run(w, request, input);
        ++total;
      }
      Clock::time_point start;
      {
        std::unique_lock<std::mutex> lock(mu);
        if (++arrived == flags.streams) {
          t0 = Clock::now();
          arrived_cv.notify_all();
        } else {
          arrived_cv.wait(lock, [&] { return arrived == flags.streams; });
        }
        start = t0;
      }
      while (Clock::now() < start + measure_for) {
        const RunResult result = runner.Run(w, request, input);
        const Clock::time_point end = Clock::now();
        ++total;
        if (!result.ok) {
          ++errors;
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        first_event.push_back(result.first_event_ms);
        completion.push_back(result.completion_ms);
        last_end = std::max(last_end, end);
      }
    });
  }
  for (std::thread& t : workers) t.join();
  const double elapsed_s =
      std::chrono::duration<double>(last_end - t0).count();
  const long runs = static_cast<long>(completion.size());
  std::printf(
      "rate runs_per_s=%.1f runs=%ld seconds=%.2f errors=%ld streams=%d "
      "first_event_p50_ms=%.1f first_event_p99_ms=%.1f "
      "completion_p50_ms=%.1f completion_p99_ms=%.1f total_runs=%ld\n",
      elapsed_s > 0 ? runs / elapsed_s : 0.0, runs, elapsed_s, errors.load(),
      flags.streams,
      Percentile(first_event, 0.50), Percentile(first_event, 0.99),
      Percentile(completion, 0.50), Percentile(completion, 0.99),
      total.load());
  return errors.load() == 0 && runs > 0 ? 0 : 1;
}

// VmRSS of `pid` in KiB; -1 when unreadable.
long RssKib(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    long kib = 0;
    if (line.rfind("VmRSS:", 0) == 0 &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(
                             absl::string_view(line).substr(6, line.size() - 9)),
                         &kib)) {
      return kib;
    }
  }
  return -1;
}

// The hold agent's tool: every call waits until release() (or 60 s).
class HoldTool final : public v1::ToolService::Service {
 public:
  grpc::Status Invoke(grpc::ServerContext* context,
                      const v1::InvokeToolRequest* request,
                      v1::InvokeToolResponse* response) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(60), [&] {
      return released_ || context->IsCancelled();
    });
    --waiting_;
    response->mutable_result()->set_tool_call_id(request->tool_call_id());
    response->mutable_result()->set_content(kHoldAnswer);
    response->mutable_result()->set_is_error(!released_);
    return grpc::Status::OK;
  }

  // Waits until `n` calls are waiting; false after `timeout`.
  bool AwaitWaiting(int n, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return waiting_ >= n; });
  }
  void Release(bool released) {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = released;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiting_ = 0;
  bool released_ = false;
};

// Runs `streams` hold runs at once; `during` runs once all are inside the
// tool. Returns the number of runs that did not complete as expected.
long HoldRound(const Flags& flags, const Runner& runner, HoldTool& tool,
               int streams, const std::function<void()>& during) {
  v1::RunAgentRequest request;
  request.set_agent_id(flags.agent);
  request.set_input("hold");
  tool.Release(false);
  std::atomic<long> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < streams; ++w) {
    workers.emplace_back([&, w] {
      if (!runner.Run(w, request, kHoldAnswer).ok) ++errors;
    });
  }
  if (tool.AwaitWaiting(streams, std::chrono::seconds(60))) {
    during();
  } else {
    std::fprintf(stderr, "not every run reached the tool\n");
    ++errors;
  }
  tool.Release(true);
  for (std::thread& t : workers) t.join();
  return errors.load();
}

int Hold(const Flags& flags, const Runner& runner) {
  HoldTool tool;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", flags.tool_port),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&tool);
  // One thread per held call, and some to spare.
  grpc::ResourceQuota quota;
  quota.SetMaxThreads(flags.streams * 2 + 16);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::MIN_POLLERS, 2);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "cannot serve the tool on port %d\n", flags.tool_port);
    return 1;
  }
  // Warm-up: a few runs one at a time, so that connections and lazily
  // built state exist before the idle sample.
  long errors = 0;
  for (int i = 0; i < 4; ++i) {
    errors += HoldRound(flags, runner, tool, 1, [] {});
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const long idle = RssKib(flags.pid);
  long open = -1;
  errors += HoldRound(flags, runner, tool, flags.streams, [&] {
    // The highest of a few samples a moment apart, once every stream is
    // open and every run waits in the tool.
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      open = std::max(open, RssKib(flags.pid));
    }
  });
  server->Shutdown();
  std::printf(
      "hold streams=%d rss_idle_kib=%ld rss_open_kib=%ld per_stream_kib=%.1f "
      "errors=%ld\n",
      flags.streams, idle, open,
      static_cast<double>(open - idle) / flags.streams, errors);
  return errors == 0 && idle > 0 && open > 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  std::vector<std::string> tokens;
  {
    std::ifstream in(flags.tokens_file);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) tokens.push_back(line);
    }
  }
  if (tokens.empty()) {
    std::fprintf(stderr, "no tokens in %s\n", flags.tokens_file.c_str());
    return 2;
  }
  Runner runner(flags, std::move(tokens));
  return flags.mode == "rate" ? Rate(flags, runner) : Hold(flags, runner);
}

}  // namespace
}  // namespace bastion::runs

int main(int argc, char** argv) { return bastion::runs::Main(argc, argv); }
