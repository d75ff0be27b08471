// Ends run delegations in batches. A run's delegation is ended when the run
// completes, fails or is cancelled; with many runs ending close together,
// one EndDelegations call (one transaction at authn) ends all of them
// instead of one call and one transaction per run.
//
//   std::unique_ptr<DelegationClient> delegations =
//       BatchEnds(AuthnDelegationClient(channel));
//   delegations->End(id);   // queued; answers OK at once
//
// End queues the id; a thread sends what is queued in one EndMany call of
// the wrapped client once the oldest id has waited `delay`, at once when
// `batch` ids are queued, and everything left when the client is
// destroyed. authn unreachable: the call is retried (`attempts` in all,
// `retry_interval` apart), then the ids are logged and dropped; those
// delegations then die with their grants (one delegation lifetime at most),
// as when a single end fails. Every other method goes straight to the
// wrapped client.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_RUNS_BATCHED_ENDS_H_
#define BASTION_SERVICES_RUN_EXECUTOR_RUNS_BATCHED_ENDS_H_

#include <memory>

#include "absl/time/time.h"
#include "services/run_executor/runs/run_delegation.h"

namespace bastion::runs {

struct BatchedEndsOptions {
  // Longest an end waits for others to join it.
  absl::Duration delay = absl::Milliseconds(100);
  // Ids sent at once without waiting (at most authn's 1000).
  size_t batch = 256;
  int attempts = 3;
  absl::Duration retry_interval = absl::Seconds(1);
};

// Thread-safe.
std::unique_ptr<DelegationClient> BatchEnds(
    std::unique_ptr<DelegationClient> inner, BatchedEndsOptions options = {});

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_RUNS_BATCHED_ENDS_H_
