// The Runs domain: starts runs of registered components for their callers,
// follows them (stored events, then live ones), lists, reads and cancels
// them. Every read and write goes through data as the caller, so a run or
// session of someone else is NOT_FOUND exactly as a missing one is.
//
// Starting a run:
//   input over max_input_bytes            INVALID_ARGUMENT
//   unknown component                     NOT_FOUND
//   owner or tenant at its limit of runs  RESOURCE_EXHAUSTED (this replica)
//   session_id of someone else / unknown  NOT_FOUND, nothing written
//   session of another component          FAILED_PRECONDITION
//   session with a run in progress: the request's policy, else the
//   component's, else reject:
//     reject     FAILED_PRECONDITION naming the run in progress
//     enqueue    the new run waits (pending) until the earlier ones end
//     interrupt  the earlier ones are cancelled, then the new run starts
//   no session_id                         a new session of the caller
//   authn does not exchange the caller's assertion for the run's
//   delegation: its answer (UNAVAILABLE when unreachable); the run, already
//   created, is stored failed
// The run acts for its caller through that delegation (RunDelegation),
// never through the caller's own short-lived assertion: every call made
// for the run (data, tools) carries it, it is renewed before each step and
// ended with the run. A run whose delegation authn refuses to renew (the
// API key was revoked, the delegation's maximum lifetime is over) fails at
// its next step, at most delegation_check_interval after the revocation.
// A waiting (enqueued or interrupting) run asks data to start it only once
// no earlier run of its session is in progress, every poll_interval: its
// delegation reaches no other run's record.
// The run then executes on its own thread: a client that disconnects does
// not stop it; CancelRun does, on whichever replica it is asked (the
// executing replica sees cancel_requested on the run record within
// poll_interval). The executing replica renews the run's record every
// lease/4; a run whose replica died is failed by the first replica that
// reads it after `lease` (GetRun, ListRuns, StreamRun, a session check),
// so nobody sees it running longer than that.
//
// Pausing: a run whose tool call needs confirmation or approval ends PAUSED
// (RunEngine) with its waiting calls stored on its record; Continue takes it
// up again on any replica.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_MANAGER_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_MANAGER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bastion/runs/v1/runs.pb.h"
#include "common/auth/caller.h"
#include "services/run_executor/engine/run_engine.h"
#include "services/run_executor/registry.h"
#include "common/clock/clock.h"
#include "services/run_executor/runs/data_recorder.h"
#include "services/run_executor/runs/live_runs.h"
#include "services/run_executor/runs/run_data.h"
#include "services/run_executor/runs/run_delegation.h"

namespace bastion::runs {

// A fresh run id: "run-" and 128 random bits in hex.
std::string NewRunId();

struct RunsOptions {
  // Live runs at once on this replica per owner and per tenant (0: no
  // limit).
  int max_runs_per_principal = 16;
  int max_runs_per_tenant = 256;
  // Largest input of a run.
  size_t max_input_bytes = 64 * 1024;
  // Events a stream holds for a slow reader before it reads from data.
  size_t stream_buffer_events = 256;
  // How often an executing run looks for a cancellation asked at another
  // replica, and a stream of a run executing elsewhere for new events.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // Longest an enqueued or interrupting run waits for the session's earlier
  // runs to end.
  absl::Duration session_wait = absl::Seconds(120);
  // A run in progress whose record has not changed for this long, and that
  // is not executing on the replica that looks, is failed by it: its
  // replica stopped. The executing replica renews the record every lease/4.
  absl::Duration lease = absl::Seconds(10);
  // A run asks authn to renew its delegation before a step once the last
  // confirmation is this old (or a third of the grant's life is left): the
  // bound on how long a run goes on after its user's API key is revoked.
  absl::Duration delegation_check_interval = absl::Seconds(5);
  // Times the renewals; not owned.
  const Clock* clock = SystemClock::Get();
  // How long an approval a paused run asks for stays open.
  absl::Duration approval_ttl = absl::Hours(24);
};

// Thread-safe. Owns the threads of the runs it starts; the destructor
// cancels them and waits for them to end.
class RunManager {
 public:
  // Not owned; all must outlive the manager.
  RunManager(const AgentRegistry* registry, const RunEngine* engine,
             RunData* data, DelegationClient* delegations,
             RunsOptions options);
  ~RunManager();

  struct StartRequest {
    common::v1::ComponentType component_type =
        common::v1::COMPONENT_TYPE_UNSPECIFIED;
    std::string component_id;
    std::string input;
    std::string session_id;
    v1::SessionPolicy session_policy = v1::SESSION_POLICY_UNSPECIFIED;
  };
  // Creates the run and starts it; returns its id.
  absl::StatusOr<std::string> Start(const Caller& caller,
                                    const StartRequest& request);
  // A scheduled run: `delegation` was granted for run `run_id` (authn's
  // ExchangeScheduleForRun), and everything of the run, its creation
  // included, acts through it. When `refused` is an error, the run is
  // recorded failed with that (caller-safe) message and not executed, and
  // `refused` is answered: a firing its creator may no longer make leaves
  // a failed run to look at. Otherwise as Start.
  absl::StatusOr<std::string> StartDelegated(
      std::unique_ptr<RunDelegation> delegation, const std::string& run_id,
      const StartRequest& request, absl::Status refused = absl::OkStatus());

  // Writes the run's events with seq > after_seq in order, each once: the
  // stored ones, then live ones as they come, until an event that ends the
  // run (completed, failed, cancelled, or a pause the run still waits at; a
  // stored pause that was continued is followed by the continuation's
  // events), `write` returns false, or `stopped` turns true. NOT_FOUND for
  // a run the caller does not own.
  absl::Status Follow(const Caller& caller, const std::string& run_id,
                      int64_t after_seq,
                      const std::function<bool(const v1::RunEvent&)>& write,
                      const std::function<bool()>& stopped);

  // Start, then Follow of the new run from its first event, subscribed
  // before the run begins: its events come from the run itself, with no
  // read of data (unless the stream falls behind, as in Follow). Start's
  // errors, or Follow's.
  absl::Status StartAndFollow(
      const Caller& caller, const StartRequest& request,
      const std::function<bool(const v1::RunEvent&)>& write,
      const std::function<bool()>& stopped);

  // The caller's run; with a component type (and id), only if the run
  // belongs to it (else NOT_FOUND).
  absl::StatusOr<v1::Run> Get(const Caller& caller, const std::string& run_id,
                              common::v1::ComponentType component_type,
                              const std::string& component_id);
  absl::StatusOr<v1::ListRunsResponse> List(const Caller& caller,
                                            const v1::ListRunsRequest& request);
  // Asks the run to stop and waits briefly until it has; returns the run.
  // FAILED_PRECONDITION when it already ended.
  absl::StatusOr<v1::Run> Cancel(const Caller& caller,
                                 const v1::CancelRunRequest& request);
  // Continues the caller's paused run of that component and executes the
  // rest on a thread here (nothing of a paused run is kept in memory, so any
  // replica continues any run). Returns the seq of the paused event: the
  // caller follows the run after it.
  //   someone else's run, another component      NOT_FOUND
  //   run not paused (also: continued already,   FAILED_PRECONDITION
  //     two continues racing: data's
  //     compare-and-set on the status lets one win)
  //   a decision for a call the run does not     FAILED_PRECONDITION
  //     wait on, two for one call, none for one
  //   a confirmed call whose approval is still   FAILED_PRECONDITION
  //     pending
  // Each paused call then runs with its stored arguments (never anything of
  // the request) when the owner confirmed it and, for an approval call, the
  // approval is APPROVED for this run, call and arguments' hash; otherwise
  // the model is told it was refused (rejected, expired, not confirmed).
  absl::StatusOr<int64_t> Continue(const Caller& caller,
                                   const v1::ContinueRunRequest& request);

 private:
  // The thread of one run; `wait` when it starts pending, `continuation`
  // set when a paused run goes on.
  void Execute(std::shared_ptr<LiveRun> live,
               std::unique_ptr<RunDelegation> delegation, StartRequest request,
               std::string session_id, bool wait,
               std::shared_ptr<const Continuation> continuation = nullptr);
  // Start and StartDelegated: creates run `run_id` as `caller` and starts
  // it with `delegation`, or one exchanged for it when null.
  // `subscription`, when not null, is set to a subscription to the run's
  // events taken before it begins.
  absl::StatusOr<std::string> StartRun(
      const Caller& caller, const std::string& run_id,
      const StartRequest& request, std::unique_ptr<RunDelegation> delegation,
      absl::Status refused,
      std::shared_ptr<Subscription>* subscription = nullptr);
  // Follow, from `subscription` (null: none yet) after `after_seq`, reading
  // the stored events first when `replay`.
  absl::Status FollowFrom(
      const Caller& caller, const std::string& run_id, int64_t after_seq,
      std::shared_ptr<Subscription> subscription, bool replay,
      const std::function<bool(const v1::RunEvent&)>& write,
      const std::function<bool()>& stopped);
  // OK when `session_id` is the caller's own session of the requested
  // component; NOT_FOUND when it is not the caller's (or missing),
  // FAILED_PRECONDITION when it belongs to another component.
  absl::Status CheckSession(const Caller& caller, const StartRequest& request,
                            const std::string& session_id);
  // A delegation for the run `run_id` of `caller` (authn's answer, or
  // UNAVAILABLE saying the run cannot act for its user).
  absl::StatusOr<std::unique_ptr<RunDelegation>> Exchange(
      const Caller& caller, const std::string& run_id);
  // Stores the run failed with `failure`'s message and a failed event.
  void FailRun(const Caller& caller, const std::string& run_id,
               common::v1::RunStatus status, const absl::Status& failure);
  // Fails the run `run_id`, if still in `expected`, with its failed event
  // (one append with the end); FAILED_PRECONDITION when it was not.
  absl::Status StoreFailed(const Caller& caller, const std::string& run_id,
                           common::v1::RunStatus expected,
                           const std::string& message);
  // What the owner's decisions mean for each of `run`'s paused calls.
  absl::StatusOr<std::vector<PausedCallDecision>> Decide(
      const Caller& caller, const data::v1::RunRecord& run,
      const v1::ContinueRunRequest& request);
  // Records each audit_confirmation decision as an approval of kind AUDIT
  // resolved by `owner` (after the run moved on, so only a decision that
  // took effect is recorded); a confirmed call whose record fails is
  // refused instead.
  void RecordAudits(const Caller& owner, const std::string& run_id,
                    std::vector<PausedCallDecision>* decisions);
  // Starts the pending run once its session's earlier runs have ended:
  // CANCELLED when `cancelled` turns true, DEADLINE_EXCEEDED after
  // session_wait.
  absl::Status WaitForSession(DataRecorder* recorder,
                              const std::function<bool()>& cancelled);
  // `run` as it stands: failed now (compare-and-set, with a failed event)
  // when it is in progress, not executing here, and its record has not
  // changed for longer than the lease.
  absl::StatusOr<data::v1::RunRecord> Expire(const Caller& caller,
                                             const data::v1::RunRecord& run);
  // The session's runs in progress (pending or running), newest first.
  absl::StatusOr<std::vector<std::string>> RunsInProgress(
      const Caller& caller, const std::string& session_id);
  absl::Status CheckComponent(common::v1::ComponentType type,
                              const std::string& id,
                              v1::SessionPolicy* policy) const;

  const AgentRegistry* const registry_;
  const RunEngine* const engine_;
  RunData* const data_;
  DelegationClient* const delegations_;
  const RunsOptions options_;
  LiveRuns live_;
  // Serializes the session checks and run creations of this replica, so
  // two starts in one session cannot both pass a reject policy.
  std::mutex admission_;
  // std::mutex: ThreadSanitizer sees its synchronization (Debian's Abseil
  // is not instrumented).
  std::mutex threads_mutex_;
  std::condition_variable threads_ended_;
  // Guarded by threads_mutex_.
  int threads_ = 0;
  bool stopping_ = false;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_RUN_MANAGER_H_
