// The run records domain: checks the run requests a trusted service makes
// for a user and decides whose rows they reach, then hands them to the
// store.
#ifndef BASTION_SERVICES_DATA_DOMAIN_RUNS_H_
#define BASTION_SERVICES_DATA_DOMAIN_RUNS_H_

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "services/data/storage/run_store.h"

namespace bastion::data::domain {

// Every call acts as the caller (the user a trusted service acts for), like
// Sessions (sessions.h). Thread-safe; `store` must outlive it.
class Runs {
 public:
  explicit Runs(storage::RunStore &store) : store_(store) {}

  absl::StatusOr<v1::RunRecord> CreateRun(const Caller &caller,
                                          const v1::CreateRunRequest &request);
  absl::StatusOr<v1::GetRunResponse> GetRun(const Caller &caller,
                                            const v1::GetRunRequest &request);
  absl::StatusOr<v1::ListRunsResponse> ListRuns(
      const Caller &caller, const v1::ListRunsRequest &request);
  absl::StatusOr<v1::RunRecord> UpdateRun(const Caller &caller,
                                          const v1::UpdateRunRequest &request);
  // 1 to storage::kMaxPageSize events, each typed (1 to 64 characters) with
  // a payload of at most 1 MiB.
  absl::StatusOr<v1::AppendRunEventsResponse> AppendRunEvents(
      const Caller &caller, const v1::AppendRunEventsRequest &request);

 private:
  storage::RunStore &store_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_RUNS_H_
