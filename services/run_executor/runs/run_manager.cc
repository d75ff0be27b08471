#include "services/run_executor/runs/run_manager.h"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/status/status_macros.h"
#include "services/run_executor/runs/data_recorder.h"
#include "services/run_executor/runs/paused_input.h"
#include "services/run_executor/runs/run_codec.h"

namespace bastion::runs {
namespace {

using common::v1::ComponentType;
using common::v1::RunStatus;

// Most events data returns per read.
constexpr int kEventsPerRead = 1000;
// How long a follower waits for a live event before it checks whether its
// client is still there.
constexpr absl::Duration kLiveWait = absl::Milliseconds(200);
// How often, and how many times, a follower reads a finished run again for
// the event that ends it.
constexpr int kFinalRereads = 20;
constexpr absl::Duration kFinalRereadInterval = absl::Milliseconds(50);
// Most decisions one ContinueRun may carry.
constexpr int kMaxDecisions = 100;
// How long CancelRun waits for the run to stop before it answers.
constexpr absl::Duration kCancelWait = absl::Seconds(3);


std::string StatusName(RunStatus status) {
  switch (status) {
    case common::v1::RUN_STATUS_PENDING:
      return "pending";
    case common::v1::RUN_STATUS_RUNNING:
      return "running";
    case common::v1::RUN_STATUS_PAUSED:
      return "paused";
    case common::v1::RUN_STATUS_COMPLETED:
      return "completed";
    case common::v1::RUN_STATUS_FAILED:
      return "failed";
    case common::v1::RUN_STATUS_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

// The executing replica's view of its run's record: whether the run was asked
// to stop (read at most once per poll interval), and the heartbeat that
// keeps the run's lease (an empty update, at most once per heartbeat
// interval, made only while the record is still in the status this replica
// left it in). A run whose record moved on without this replica (another
// replica failed it after the lease ran out) counts as cancelled here.
// Callable from any thread (tools poll it too).
class RunWatch {
 public:
  RunWatch(RunData* data, const RunCaller* owner, std::string run_id,
           absl::Duration poll, absl::Duration heartbeat, RunStatus status)
      : data_(data), owner_(owner), run_id_(std::move(run_id)), poll_(poll),
        heartbeat_(heartbeat), status_(status) {}

  void set_status(RunStatus status) { status_.store(status); }

  bool operator()() {
    if (stop_.load()) return true;
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return stop_.load();
    const absl::Time now = absl::Now();
    if (now >= next_heartbeat_) {
      next_heartbeat_ = now + heartbeat_;
      next_poll_ = now + poll_;
      data::v1::UpdateRunRequest beat;
      beat.set_run_id(run_id_);
      beat.set_expected_status(status_.load());
      absl::StatusOr<data::v1::RunRecord> run =
          data_->UpdateRun(owner_->Current(), beat);
      if (run.ok() && run->cancel_requested()) stop_.store(true);
      if (!run.ok() &&
          run.status().code() == absl::StatusCode::kFailedPrecondition) {
        Log(LogLevel::kWarning, "run_taken_over", {{"run_id", run_id_}});
        stop_.store(true);
      }
    } else if (now >= next_poll_) {
      next_poll_ = now + poll_;
      data::v1::GetRunRequest request;
      request.set_run_id(run_id_);
      absl::StatusOr<data::v1::GetRunResponse> run =
          data_->GetRun(owner_->Current(), request);
      if (run.ok() && run->run().cancel_requested()) stop_.store(true);
    }
    return stop_.load();
  }

 private:
  RunData* const data_;
  const RunCaller* const owner_;
  const std::string run_id_;
  const absl::Duration poll_;
  const absl::Duration heartbeat_;
  std::atomic<RunStatus> status_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  // Guarded by mutex_.
  // The record was written as the run started (created, continued or
  // claimed): the first heartbeat and poll are due one interval later.
  absl::Time next_poll_ = absl::Now() + poll_;
  absl::Time next_heartbeat_ = absl::Now() + heartbeat_;
};

}  // namespace

std::string NewRunId() {
  absl::BitGen random;
  return absl::StrFormat("run-%016x%016x", absl::Uniform<uint64_t>(random),
                         absl::Uniform<uint64_t>(random));
}

RunManager::RunManager(const AgentRegistry* registry, const RunEngine* engine,
                       RunData* data, DelegationClient* delegations,
                       RunsOptions options)
    : registry_(registry),
      engine_(engine),
      data_(data),
      delegations_(delegations),
      options_(options) {}

RunManager::~RunManager() {
  {
    std::lock_guard<std::mutex> lock(threads_mutex_);
    stopping_ = true;
  }
  for (const std::shared_ptr<LiveRun>& run : live_.All()) {
    run->Cancel("service shutdown");
  }
  std::unique_lock<std::mutex> lock(threads_mutex_);
  threads_ended_.wait(lock, [this] { return threads_ == 0; });
}

absl::Status RunManager::CheckComponent(ComponentType type,
                                        const std::string& id,
                                        v1::SessionPolicy* policy) const {
  switch (type) {
    case common::v1::COMPONENT_TYPE_AGENT: {
      absl::StatusOr<v1::Agent> agent = registry_->FindAgent(id);
      if (!agent.ok()) return agent.status();
      *policy = agent->session_policy();
      return absl::OkStatus();
    }
    case common::v1::COMPONENT_TYPE_TEAM: {
      absl::StatusOr<v1::Team> team = registry_->FindTeam(id);
      if (!team.ok()) return team.status();
      *policy = team->session_policy();
      return absl::OkStatus();
    }
    case common::v1::COMPONENT_TYPE_WORKFLOW: {
      absl::StatusOr<v1::Workflow> workflow = registry_->FindWorkflow(id);
      if (!workflow.ok()) return workflow.status();
      *policy = workflow->session_policy();
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("component_type is required");
  }
}

absl::StatusOr<std::vector<std::string>> RunManager::RunsInProgress(
    const Caller& caller, const std::string& session_id) {
  std::vector<std::string> runs;
  for (RunStatus status :
       {common::v1::RUN_STATUS_RUNNING, common::v1::RUN_STATUS_PENDING}) {
    data::v1::ListRunsRequest request;
    request.set_session_id(session_id);
    request.set_status(status);
    request.mutable_page()->set_limit(100);
    absl::StatusOr<data::v1::ListRunsResponse> listed =
        data_->ListRuns(caller, request);
    if (!listed.ok()) return listed.status();
    for (const data::v1::RunRecord& run : listed->runs()) {
      absl::StatusOr<data::v1::RunRecord> current = Expire(caller, run);
      if (!current.ok()) return current.status();
      if (!IsFinal(current->status())) runs.push_back(run.run_id());
    }
  }
  return runs;
}

absl::StatusOr<std::string> RunManager::Start(const Caller& caller,
                                              const StartRequest& request) {
  return StartRun(caller, NewRunId(), request, nullptr, absl::OkStatus());
}

absl::StatusOr<std::string> RunManager::StartDelegated(
    std::unique_ptr<RunDelegation> delegation, const std::string& run_id,
    const StartRequest& request, absl::Status refused) {
  const Caller caller = delegation->Current();
  return StartRun(caller, run_id, request, std::move(delegation),
                  std::move(refused));
}

absl::Status RunManager::StartAndFollow(
    const Caller& caller, const StartRequest& request,
    const std::function<bool(const v1::RunEvent&)>& write,
    const std::function<bool()>& stopped) {
  std::shared_ptr<Subscription> subscription;
  ASSIGN_OR_RETURN(std::string run_id,
                   StartRun(caller, NewRunId(), request, nullptr,
                            absl::OkStatus(), &subscription));
  return FollowFrom(caller, run_id, /*after_seq=*/0, std::move(subscription),
                    /*replay=*/false, write, stopped);
}

absl::StatusOr<std::string> RunManager::StartRun(
    const Caller& caller, const std::string& run_id,
    const StartRequest& request, std::unique_ptr<RunDelegation> delegation,
    absl::Status refused, std::shared_ptr<Subscription>* subscription) {
  auto end_unused = [&delegation] {
    if (delegation != nullptr) delegation->End();
  };
  if (request.input.size() > options_.max_input_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("input is ", request.input.size(),
                     " bytes, more than the limit of ",
                     options_.max_input_bytes));
  }
  v1::SessionPolicy policy = v1::SESSION_POLICY_UNSPECIFIED;
  absl::Status known =
      CheckComponent(request.component_type, request.component_id, &policy);
  if (!known.ok()) {
    end_unused();
    return known;
  }
  if (request.session_policy != v1::SESSION_POLICY_UNSPECIFIED) {
    policy = request.session_policy;
  }
  if (policy == v1::SESSION_POLICY_UNSPECIFIED) {
    policy = v1::SESSION_POLICY_REJECT;
  }

  auto live = std::make_shared<LiveRun>(
      run_id, caller.principal.tenant_id(), caller.principal.subject(),
      options_.stream_buffer_events);
  absl::Status admitted = live_.Add(live, options_.max_runs_per_principal,
                                    options_.max_runs_per_tenant);
  if (!admitted.ok()) {
    end_unused();
    return admitted;
  }
  if (subscription != nullptr) *subscription = live->Subscribe();
  // From here on, every refusal takes the run out of the live set again
  // (and ends a delegation that will not be used).
  auto refuse = [&](absl::Status status) {
    live_.Remove(run_id);
    end_unused();
    return status;
  };
  std::string session_id = request.session_id;
  if (!session_id.empty()) {
    absl::Status usable = CheckSession(caller, request, session_id);
    if (!usable.ok()) return refuse(usable);
  }
  // The run acts for its owner through a delegation bound to its id,
  // exchanged before the run is written (a refused exchange leaves no run
  // behind) and stored on the run's record as it is created.
  if (delegation == nullptr) {
    absl::StatusOr<std::unique_ptr<RunDelegation>> exchanged =
        Exchange(caller, run_id);
    if (!exchanged.ok()) return refuse(exchanged.status());
    delegation = *std::move(exchanged);
  }

  std::vector<std::string> wait_for;
  {
    // A new session has no other runs: only starts in a given session wait
    // for each other.
    std::unique_lock<std::mutex> admission(admission_, std::defer_lock);
    if (!session_id.empty()) admission.lock();
    if (!session_id.empty()) {
      absl::StatusOr<std::vector<std::string>> in_progress =
          RunsInProgress(caller, session_id);
      if (!in_progress.ok()) return refuse(in_progress.status());
      if (!in_progress->empty()) {
        switch (policy) {
          case v1::SESSION_POLICY_ENQUEUE:
            wait_for = *in_progress;
            break;
          case v1::SESSION_POLICY_INTERRUPT:
            wait_for = *in_progress;
            for (const std::string& earlier : wait_for) {
              data::v1::UpdateRunRequest cancel;
              cancel.set_run_id(earlier);
              cancel.set_request_cancel(true);
              absl::Status asked = data_->UpdateRun(caller, cancel).status();
              if (!asked.ok()) return refuse(asked);
              if (std::shared_ptr<LiveRun> running = live_.Find(earlier)) {
                running->Cancel(caller.principal.subject());
              }
            }
            break;
          default:
            return refuse(absl::FailedPreconditionError(absl::StrCat(
                "session ", session_id, " already has run ",
                in_progress->front(),
                " in progress; wait for it, cancel it, or ask for "
                "session_policy enqueue or interrupt")));
        }
      }
    } else {
      data::v1::CreateSessionRequest create;
      create.set_component_type(request.component_type);
      create.set_component_id(request.component_id);
      absl::StatusOr<data::v1::Session> session =
          data_->CreateSession(caller, create);
      if (!session.ok()) return refuse(session.status());
      session_id = session->session_id();
    }

    data::v1::CreateRunRequest create;
    create.set_run_id(run_id);
    create.set_component_type(request.component_type);
    create.set_component_id(request.component_id);
    create.set_session_id(session_id);
    create.set_input_json(InputJson(request.input));
    create.set_status(wait_for.empty() ? common::v1::RUN_STATUS_RUNNING
                                       : common::v1::RUN_STATUS_PENDING);
    create.set_delegation_id(delegation->id());
    absl::Status created = data_->CreateRun(caller, create).status();
    if (!created.ok()) return refuse(created);
  }

  const RunStatus created = wait_for.empty() ? common::v1::RUN_STATUS_RUNNING
                                             : common::v1::RUN_STATUS_PENDING;
  if (!refused.ok()) {
    // Recorded failed while the delegation (which created the run) still
    // acts, then ended.
    FailRun(caller, run_id, created, refused);
    return refuse(std::move(refused));
  }

  bool stopping = false;
  {
    std::lock_guard<std::mutex> lock(threads_mutex_);
    stopping = stopping_;
    if (!stopping) ++threads_;
  }
  if (stopping) {
    absl::Status unavailable =
        absl::UnavailableError("run-executor is shutting down");
    FailRun(caller, run_id, created, unavailable);
    return refuse(std::move(unavailable));
  }
  std::thread([this, live, delegation = std::move(delegation), request,
               session_id, wait = !wait_for.empty()]() mutable {
    Execute(std::move(live), std::move(delegation), std::move(request),
            std::move(session_id), wait);
  }).detach();
  return run_id;
}

absl::Status RunManager::CheckSession(const Caller& caller,
                                      const StartRequest& request,
                                      const std::string& session_id) {
  data::v1::GetSessionRequest get;
  get.set_session_id(session_id);
  absl::StatusOr<data::v1::Session> session = data_->GetSession(caller, get);
  // A session the caller does not own (a tenant admin sees its users'
  // sessions, but a run goes only into the caller's own) is as missing.
  if ((!session.ok() &&
       session.status().code() == absl::StatusCode::kNotFound) ||
      (session.ok() &&
       (session->user_id() != caller.principal.subject() ||
        session->tenant_id() != caller.principal.tenant_id()))) {
    return absl::NotFoundError(
        absl::StrCat("session ", session_id, " not found"));
  }
  if (!session.ok()) return session.status();
  if (session->component_type() != request.component_type ||
      session->component_id() != request.component_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session ", session_id, " belongs to another component"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RunDelegation>> RunManager::Exchange(
    const Caller& caller, const std::string& run_id) {
  absl::StatusOr<std::unique_ptr<RunDelegation>> delegation =
      RunDelegation::Exchange(delegations_, caller, run_id,
                              options_.delegation_check_interval,
                              options_.clock);
  if (delegation.ok()) return delegation;
  absl::Status failure = delegation.status();
  Log(LogLevel::kWarning, "run_delegation_not_exchanged",
      {{"run_id", run_id}, {"code", absl::StatusCodeToString(failure.code())}});
  if (failure.code() == absl::StatusCode::kUnavailable) {
    failure = absl::UnavailableError(
        "authn is unavailable: the run cannot act for its user; try again");
  }
  return failure;
}

void RunManager::FailRun(const Caller& caller, const std::string& run_id,
                         RunStatus status, const absl::Status& failure) {
  // Nothing of the run stays in progress.
  (void)StoreFailed(caller, run_id, status, std::string(failure.message()));
}

absl::Status RunManager::StoreFailed(const Caller& caller,
                                     const std::string& run_id,
                                     RunStatus expected,
                                     const std::string& message) {
  v1::RunEvent event;
  event.set_run_id(run_id);
  event.mutable_failed()->set_message(message);
  ASSIGN_OR_RETURN(const data::v1::AppendRunEventsRequest fail,
                   EndAppend(run_id, event, expected));
  return data_->AppendRunEvents(caller, fail).status();
}

absl::Status RunManager::WaitForSession(
    DataRecorder* recorder, const std::function<bool()>& cancelled) {
  const absl::Time deadline = absl::Now() + options_.session_wait;
  while (true) {
    if (cancelled()) return absl::CancelledError("cancelled");
    // The runs of a stopped replica (no heartbeat for a lease) are not
    // waited for.
    absl::Status started = recorder->StartWhenSessionIdle(options_.lease);
    if (started.ok()) return started;
    if (started.code() != absl::StatusCode::kFailedPrecondition &&
        started.code() != absl::StatusCode::kUnavailable) {
      return started;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the session's earlier runs did not end within ",
          absl::FormatDuration(options_.session_wait)));
    }
    absl::SleepFor(options_.poll_interval);
  }
}

void RunManager::Execute(std::shared_ptr<LiveRun> live,
                         std::unique_ptr<RunDelegation> delegation,
                         StartRequest request, std::string session_id,
                         bool wait,
                         std::shared_ptr<const Continuation> continuation) {
  const RunStatus created = wait ? common::v1::RUN_STATUS_PENDING
                                 : common::v1::RUN_STATUS_RUNNING;
  // Set (once) when the delegation can no longer be renewed; read from any
  // thread.
  std::mutex lost_mutex;
  absl::Status lost;
  auto lost_authority = [&lost_mutex, &lost] {
    std::lock_guard<std::mutex> lock(lost_mutex);
    return lost;
  };
  DataRecorder recorder(data_, delegation.get(), live.get(), created,
                        lost_authority, options_.approval_ttl);
  RunWatch watch(data_, delegation.get(), live->run_id(),
                 options_.poll_interval, options_.lease / 4, created);
  // Polled before every step (each model and tool call) and by models and
  // tools while they work: renews the delegation when due.
  auto cancelled = [&] {
    if (live->cancelled()) return true;
    if (absl::Status renewed = delegation->RenewIfDue(); !renewed.ok()) {
      {
        std::lock_guard<std::mutex> lock(lost_mutex);
        if (lost.ok()) lost = renewed;
      }
      live->Cancel("");
      return true;
    }
    if (watch()) {
      live->Cancel("");
      return true;
    }
    return false;
  };

  bool run = true;
  if (wait) {
    absl::Status waited = WaitForSession(&recorder, cancelled);
    if (waited.ok() && cancelled()) waited = absl::CancelledError("cancelled");
    if (waited.ok()) watch.set_status(common::v1::RUN_STATUS_RUNNING);
    if (!waited.ok()) {
      run = false;
      v1::RunEvent ended;
      if (waited.code() == absl::StatusCode::kCancelled) {
        ended.mutable_cancelled();
      } else {
        ended.mutable_failed()->set_message(std::string(waited.message()));
      }
      (void)recorder.Record(std::move(ended));
    }
  }
  if (run) {
    RunRequest run_request;
    run_request.caller = delegation.get();
    run_request.run_id = live->run_id();
    run_request.component_type = request.component_type;
    run_request.component_id = request.component_id;
    run_request.session_id = session_id;
    run_request.input = request.input;
    run_request.continuation = continuation.get();
    run_request.cancelled = cancelled;
    run_request.recorder = &recorder;
    const RunOutcome outcome = engine_->Execute(run_request);
    Log(LogLevel::kInfo, "run_ended",
        {{"run_id", live->run_id()}, {"status", StatusName(outcome.status)}});
  }
  // The run no longer counts against its owner's limit once its streams
  // have its last event; ending the delegation (a call to authn) follows.
  live->Finish();
  live_.Remove(live->run_id());
  delegation->End();
  std::lock_guard<std::mutex> lock(threads_mutex_);
  --threads_;
  threads_ended_.notify_all();
}

absl::StatusOr<data::v1::RunRecord> RunManager::Expire(
    const Caller& caller, const data::v1::RunRecord& run) {
  const RunStatus status = run.status();
  if ((status != common::v1::RUN_STATUS_RUNNING &&
       status != common::v1::RUN_STATUS_PENDING) ||
      absl::FromUnixMicros(run.updated_at_unix_micros()) + options_.lease >
          absl::Now() ||
      live_.Find(run.run_id()) != nullptr) {
    return run;
  }
  const std::string message = absl::StrCat(
      "the run-executor replica executing this run stopped (no heartbeat for ",
      absl::FormatDuration(options_.lease), ")");
  absl::Status failed = StoreFailed(caller, run.run_id(), status, message);
  if (!failed.ok()) {
    if (failed.code() != absl::StatusCode::kFailedPrecondition) {
      return failed;
    }
    // Someone else changed it first: the stored record is the truth.
    data::v1::GetRunRequest get;
    get.set_run_id(run.run_id());
    absl::StatusOr<data::v1::GetRunResponse> stored = data_->GetRun(caller, get);
    if (!stored.ok()) return stored.status();
    return stored->run();
  }
  Log(LogLevel::kWarning, "run_expired", {{"run_id", run.run_id()}});
  data::v1::RunRecord expired = run;
  expired.set_status(common::v1::RUN_STATUS_FAILED);
  expired.set_error(message);
  expired.set_updated_at_unix_micros(absl::ToUnixMicros(absl::Now()));
  return expired;
}

absl::Status RunManager::Follow(
    const Caller& caller, const std::string& run_id, int64_t after_seq,
    const std::function<bool(const v1::RunEvent&)>& write,
    const std::function<bool()>& stopped) {
  // Subscribed before the stored events are read: whatever is stored after
  // that read is also published to this subscription.
  std::shared_ptr<LiveRun> live = live_.Find(run_id);
  return FollowFrom(caller, run_id, after_seq,
                    live == nullptr ? nullptr : live->Subscribe(),
                    /*replay=*/true, write, stopped);
}

absl::Status RunManager::FollowFrom(
    const Caller& caller, const std::string& run_id, int64_t after_seq,
    std::shared_ptr<Subscription> subscription, bool replay,
    const std::function<bool(const v1::RunEvent&)>& write,
    const std::function<bool()>& stopped) {
  int64_t last = after_seq;
  int final_reads = 0;
  while (!stopped()) {
    if (replay) {
      data::v1::GetRunRequest request;
      request.set_run_id(run_id);
      request.set_include_events(true);
      request.set_events_after_seq(last);
      absl::StatusOr<data::v1::GetRunResponse> stored =
          data_->GetRun(caller, request);
      if (!stored.ok()) return stored.status();
      const RunStatus status = stored->run().status();
      const bool whole = stored->events_size() < kEventsPerRead;
      for (int i = 0; i < stored->events_size(); ++i) {
        absl::StatusOr<v1::RunEvent> event = FromRecord(stored->events(i));
        if (!event.ok()) return event.status();
        if (event->seq() <= last) continue;
        if (!write(*event)) return absl::OkStatus();
        last = event->seq();
        // A pause ends the stream only while the run still waits at it: a
        // continued run's stored pause is followed by its continuation.
        const bool waits_here = whole && i + 1 == stored->events_size() &&
                                status == common::v1::RUN_STATUS_PAUSED;
        if (EndsRun(*event) && (!event->has_paused() || waits_here)) {
          return absl::OkStatus();
        }
      }
      if (!whole) continue;
      if (IsFinal(status) || status == common::v1::RUN_STATUS_PAUSED) {
        // The status is stored just before the event that ends the run:
        // wait briefly for that event (a run ended without one, e.g. by a
        // replica's death, ends the stream after the wait).
        if (++final_reads > kFinalRereads) return absl::OkStatus();
        absl::SleepFor(kFinalRereadInterval);
        continue;
      }
      replay = false;
      if (subscription == nullptr) {
        absl::StatusOr<data::v1::RunRecord> current = Expire(caller, stored->run());
        if (!current.ok()) return current.status();
        if (current->status() != status) {
          replay = true;  // failed just now: its failed event is stored
          continue;
        }
        // Executing elsewhere (or not yet): read data again shortly.
        absl::SleepFor(options_.poll_interval);
        replay = true;
        continue;
      }
    }
    v1::RunEvent event;
    switch (subscription->Wait(kLiveWait, &event)) {
      case Subscription::Next::kEvent:
        if (event.seq() <= last) break;
        if (event.seq() != last + 1) {
          replay = true;  // a gap: data has the missing events
          break;
        }
        if (!write(event)) return absl::OkStatus();
        last = event.seq();
        if (EndsRun(event)) return absl::OkStatus();
        break;
      case Subscription::Next::kLagged:
        replay = true;
        break;
      case Subscription::Next::kFinished:
        subscription = nullptr;
        replay = true;
        break;
      case Subscription::Next::kTimeout:
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Run> RunManager::Get(const Caller& caller,
                                        const std::string& run_id,
                                        ComponentType component_type,
                                        const std::string& component_id) {
  data::v1::GetRunRequest request;
  request.set_run_id(run_id);
  request.set_component_type(component_type);
  request.set_component_id(component_id);
  absl::StatusOr<data::v1::GetRunResponse> stored = data_->GetRun(caller, request);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<data::v1::RunRecord> current = Expire(caller, stored->run());
  if (!current.ok()) return current.status();
  return ToRun(*current);
}

absl::StatusOr<v1::ListRunsResponse> RunManager::List(
    const Caller& caller, const v1::ListRunsRequest& request) {
  data::v1::ListRunsRequest list;
  *list.mutable_page() = request.page();
  list.set_session_id(request.session_id());
  list.set_component_type(request.component_type());
  list.set_component_id(request.component_id());
  absl::StatusOr<data::v1::ListRunsResponse> stored = data_->ListRuns(caller, list);
  if (!stored.ok()) return stored.status();
  v1::ListRunsResponse response;
  for (const data::v1::RunRecord& run : stored->runs()) {
    absl::StatusOr<data::v1::RunRecord> current = Expire(caller, run);
    if (!current.ok()) return current.status();
    *response.add_runs() = ToRun(*current);
  }
  *response.mutable_page() = stored->page();
  return response;
}

absl::StatusOr<v1::Run> RunManager::Cancel(const Caller& caller,
                                           const v1::CancelRunRequest& request) {
  if (request.component_type() == common::v1::COMPONENT_TYPE_UNSPECIFIED ||
      request.component_id().empty()) {
    return absl::InvalidArgumentError(
        "component_type and component_id name the run's component");
  }
  absl::StatusOr<v1::Run> run = Get(caller, request.run_id(),
                                    request.component_type(),
                                    request.component_id());
  if (!run.ok()) return run.status();
  if (IsFinal(run->status())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run->run_id(), " already ended (", StatusName(run->status()),
        ")"));
  }
  data::v1::UpdateRunRequest cancel;
  cancel.set_run_id(run->run_id());
  cancel.set_request_cancel(true);
  absl::Status asked = data_->UpdateRun(caller, cancel).status();
  if (!asked.ok()) return asked;
  if (std::shared_ptr<LiveRun> live = live_.Find(run->run_id())) {
    live->Cancel(caller.principal.subject());
  }
  const absl::Time deadline = absl::Now() + kCancelWait;
  while (!IsFinal(run->status()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    run = Get(caller, request.run_id(), request.component_type(),
              request.component_id());
    if (!run.ok()) return run.status();
  }
  return run;
}

absl::StatusOr<std::vector<PausedCallDecision>> RunManager::Decide(
    const Caller& caller, const data::v1::RunRecord& run,
    const v1::ContinueRunRequest& request) {
  std::map<std::string, const v1::ToolDecision*> confirmed;
  for (const v1::ToolDecision& decision : request.decisions()) {
    if (!confirmed.emplace(decision.tool_call_id(), &decision).second) {
      return absl::FailedPreconditionError(
          "two decisions name the same tool call");
    }
  }
  // The agent's current specs: the schemas of user input, the bounds of
  // external results.
  absl::StatusOr<v1::Agent> agent = registry_->FindAgent(run.component_id());
  auto spec_of = [&agent](const std::string& name) -> const v1::ToolSpec* {
    if (!agent.ok()) return nullptr;
    for (const v1::ToolSpec& spec : agent->tools()) {
      if (spec.name() == name) return &spec;
    }
    return nullptr;
  };
  std::vector<PausedCallDecision> decisions;
  for (const data::v1::PausedToolCall& paused : run.paused_tool_calls()) {
    auto found = confirmed.find(paused.tool_call_id());
    if (found == confirmed.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "no decision for paused tool call ", paused.tool_call_id(),
          "; give one per call"));
    }
    const v1::ToolDecision& given = *found->second;
    const bool yes = given.confirmed();
    confirmed.erase(found);
    PausedCallDecision decision;
    v1::ToolCall& call = decision.call;
    call.set_tool_call_id(paused.tool_call_id());
    call.set_tool_name(paused.tool_name());
    call.set_arguments_json(paused.arguments_json());
    call.set_requires_confirmation(paused.requires_confirmation());
    call.set_requires_approval(paused.requires_approval());
    call.set_approval_id(paused.approval_id());
    *call.mutable_user_input_fields() = paused.user_input_fields();
    call.set_external_execution(paused.external_execution());
    call.set_audit_confirmation(paused.audit_confirmation());
    // What the owner brings must be for this call, and only when it runs.
    const bool wants_input = yes && !paused.user_input_fields().empty();
    const bool wants_result = yes && paused.external_execution();
    if (!given.user_input_json().empty() && !wants_input) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tool call ", paused.tool_call_id(), " takes no user input",
          yes ? "" : " when it is refused"));
    }
    if ((!given.external_result().empty() || given.external_is_error()) &&
        !wants_result) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tool call ", paused.tool_call_id(), " takes no external result",
          yes ? " (run-executor runs it)" : " when it is refused"));
    }
    if (wants_input) {
      absl::StatusOr<std::string> arguments =
          CompleteArguments(spec_of(paused.tool_name()), paused, given);
      if (!arguments.ok()) return arguments.status();
      call.set_arguments_json(*std::move(arguments));
      decision.arguments_completed = true;
    }
    if (wants_result) {
      absl::StatusOr<ToolOutcome> result =
          ExternalResult(spec_of(paused.tool_name()), paused, given);
      if (!result.ok()) return result.status();
      decision.external_result = *std::move(result);
    }
    decision.run = yes;
    if (!yes) {
      decision.refusal = absl::StrCat("the run's owner refused this call of ",
                                      paused.tool_name(), "; it was not called");
    } else if (paused.requires_approval()) {
      data::v1::GetApprovalRequest get;
      get.set_approval_id(paused.approval_id());
      absl::StatusOr<data::v1::Approval> approval = data_->GetApproval(caller, get);
      if (!approval.ok()) {
        if (approval.status().code() == absl::StatusCode::kUnavailable) {
          return approval.status();
        }
        return absl::FailedPreconditionError(absl::StrCat(
            "the approval of paused tool call ", paused.tool_call_id(),
            " cannot be read"));
      }
      if (approval->status() == data::v1::APPROVAL_STATUS_PENDING) {
        return absl::FailedPreconditionError(absl::StrCat(
            "paused tool call ", paused.tool_call_id(), " waits for approval ",
            paused.approval_id(), "; continue once an approver resolved it"));
      }
      decision.run = false;
      if (approval->run_id() != run.run_id() ||
          approval->tool_call_id() != paused.tool_call_id() ||
          approval->args_sha256() != ArgumentsSha256(paused.arguments_json())) {
        decision.refusal = absl::StrCat(
            "the approval does not cover this call of ", paused.tool_name(),
            " with these arguments; it was not called");
      } else if (approval->status() == data::v1::APPROVAL_STATUS_APPROVED) {
        decision.run = true;
      } else if (approval->status() == data::v1::APPROVAL_STATUS_EXPIRED) {
        decision.refusal = absl::StrCat("the approval of this call of ",
                                        paused.tool_name(),
                                        " expired; it was not called");
      } else {
        decision.refusal = absl::StrCat("an approver rejected this call of ",
                                        paused.tool_name(), "; it was not called");
      }
    }
    decisions.push_back(std::move(decision));
  }
  if (!confirmed.empty()) {
    return absl::FailedPreconditionError(
        "a decision names a tool call the run does not wait on");
  }
  return decisions;
}

void RunManager::RecordAudits(const Caller& owner, const std::string& run_id,
                              std::vector<PausedCallDecision>* decisions) {
  for (PausedCallDecision& decision : *decisions) {
    const v1::ToolCall& call = decision.call;
    if (!call.audit_confirmation()) continue;
    data::v1::CreateApprovalRequest request;
    request.set_run_id(run_id);
    request.set_tool_call_id(call.tool_call_id());
    request.set_tool_name(call.tool_name());
    // Data stores no empty arguments; the model's "" means {}.
    const std::string arguments =
        call.arguments_json().empty() ? "{}" : call.arguments_json();
    request.set_arguments_json(arguments);
    request.set_args_sha256(ArgumentsSha256(arguments));
    request.set_kind(data::v1::APPROVAL_KIND_AUDIT);
    request.set_audit_decision(decision.run ? data::v1::APPROVAL_DECISION_APPROVE
                                            : data::v1::APPROVAL_DECISION_REJECT);
    absl::Status recorded = data_->CreateApproval(owner, request).status();
    if (recorded.ok()) continue;
    Log(LogLevel::kWarning, "audit_approval_not_recorded",
        {{"run_id", run_id},
         {"tool_call_id", call.tool_call_id()},
         {"code", absl::StatusCodeToString(recorded.code())}});
    // No call of an audited tool runs without its record.
    if (decision.run) {
      decision.run = false;
      decision.external_result.reset();
      decision.arguments_completed = false;
      decision.refusal = absl::StrCat(
          "the owner's confirmation of this call of ", call.tool_name(),
          " could not be recorded; it was not called");
    }
  }
}

absl::StatusOr<int64_t> RunManager::Continue(
    const Caller& caller, const v1::ContinueRunRequest& request) {
  if (request.component_type() == common::v1::COMPONENT_TYPE_UNSPECIFIED ||
      request.component_id().empty()) {
    return absl::InvalidArgumentError(
        "component_type and component_id name the run's component");
  }
  if (request.decisions_size() > kMaxDecisions) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxDecisions, " decisions"));
  }
  // The run and all its events, read as the caller (NOT_FOUND for anyone
  // else's run and for another component).
  auto continuation = std::make_shared<Continuation>();
  data::v1::RunRecord run;
  for (int64_t after = 0;;) {
    data::v1::GetRunRequest get;
    get.set_run_id(request.run_id());
    get.set_component_type(request.component_type());
    get.set_component_id(request.component_id());
    get.set_include_events(true);
    get.set_events_after_seq(after);
    absl::StatusOr<data::v1::GetRunResponse> stored = data_->GetRun(caller, get);
    if (!stored.ok()) return stored.status();
    if (after == 0) {
      run = stored->run();
      if (run.status() != common::v1::RUN_STATUS_PAUSED) {
        return absl::FailedPreconditionError(
            absl::StrCat("run ", run.run_id(), " is ",
                         StatusName(run.status()), ", not paused"));
      }
    }
    for (const data::v1::RunEventRecord& record : stored->events()) {
      absl::StatusOr<v1::RunEvent> event = FromRecord(record);
      if (!event.ok()) return event.status();
      after = event->seq();
      continuation->history.push_back(*std::move(event));
    }
    if (stored->events_size() < kEventsPerRead) break;
  }
  if (continuation->history.empty() ||
      !continuation->history.back().has_paused()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run.run_id(), " is not paused at its last event"));
  }
  // A tenant admin sees the run but does not act for its owner.
  if (run.user_id() != caller.principal.subject() ||
      run.tenant_id() != caller.principal.tenant_id()) {
    return absl::PermissionDeniedError(
        "only the run's owner continues it");
  }
  ASSIGN_OR_RETURN(continuation->decisions, Decide(caller, run, request));
  const int64_t paused_seq = continuation->history.back().seq();

  auto live = std::make_shared<LiveRun>(
      run.run_id(), caller.principal.tenant_id(), caller.principal.subject(),
      options_.stream_buffer_events);
  {
    std::lock_guard<std::mutex> lock(admission_);
    if (live_.Find(run.run_id()) != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("run ", run.run_id(), " is being continued already"));
    }
    RETURN_IF_ERROR(live_.Add(live, options_.max_runs_per_principal,
                              options_.max_runs_per_tenant));
  }
  // The paused run's delegation ended with its thread: the owner continuing
  // it hands over a fresh one, exchanged before the run moves on so that a
  // failed exchange leaves it paused (the owner may try again).
  absl::StatusOr<std::unique_ptr<RunDelegation>> delegation =
      RunDelegation::Exchange(delegations_, caller, run.run_id(),
                              options_.delegation_check_interval,
                              options_.clock);
  if (!delegation.ok()) {
    live_.Remove(run.run_id());
    Log(LogLevel::kWarning, "run_delegation_not_exchanged",
        {{"run_id", run.run_id()},
         {"code", absl::StatusCodeToString(delegation.status().code())}});
    if (delegation.status().code() == absl::StatusCode::kUnavailable) {
      return absl::UnavailableError(
          "authn is unavailable: the run cannot act for its user; try again");
    }
    return delegation.status();
  }
  {
    std::lock_guard<std::mutex> lock(threads_mutex_);
    if (stopping_) {
      (*delegation)->End();
      live_.Remove(run.run_id());
      return absl::UnavailableError("run-executor is shutting down");
    }
    ++threads_;
  }
  // Compare-and-set: of two continues, only one moves the run on; the
  // winner's delegation is stored with the move.
  data::v1::UpdateRunRequest resume;
  resume.set_run_id(run.run_id());
  resume.set_expected_status(common::v1::RUN_STATUS_PAUSED);
  resume.set_status(common::v1::RUN_STATUS_RUNNING);
  resume.set_update_paused_tool_calls(true);
  resume.set_update_delegation_id(true);
  resume.set_delegation_id((*delegation)->id());
  absl::Status resumed =
      data_->UpdateRun((*delegation)->Current(), resume).status();
  if (!resumed.ok()) {
    (*delegation)->End();
    live_.Remove(run.run_id());
    std::lock_guard<std::mutex> lock(threads_mutex_);
    --threads_;
    threads_ended_.notify_all();
    if (resumed.code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(
          absl::StrCat("run ", run.run_id(), " was continued already"));
    }
    return resumed;
  }
  Log(LogLevel::kInfo, "run_continued", {{"run_id", run.run_id()}});
  RecordAudits((*delegation)->Current(), run.run_id(), &continuation->decisions);
  StartRequest start;
  start.component_type = run.component_type();
  start.component_id = run.component_id();
  start.input = InputOf(run.input_json());
  start.session_id = run.session_id();
  std::thread([this, live, delegation = *std::move(delegation), start,
               session_id = run.session_id(), continuation]() mutable {
    Execute(std::move(live), std::move(delegation), std::move(start),
            std::move(session_id), /*wait=*/false, std::move(continuation));
  }).detach();
  return paused_seq;
}

}  // namespace bastion::runs
