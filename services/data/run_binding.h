// The binding of a delegation to its run, as data enforces it: a caller
// acting through a delegation for run R (Caller.delegation_run_id) sees the
// run-scoped records of R only — run records, the run's trace (a run's
// trace id is its run id) and its approvals. Any other run's records answer
// NOT_FOUND, exactly like a missing or another user's record; lists show
// only R's. Records not scoped to a run (sessions, memories) stay the
// user's as always.
#ifndef BASTION_SERVICES_DATA_RUN_BINDING_H_
#define BASTION_SERVICES_DATA_RUN_BINDING_H_

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace bastion::data {

// True when `caller` may touch the records of run `run_id`.
inline bool BoundRunAllows(const Caller& caller, absl::string_view run_id) {
  return caller.delegation_run_id.empty() || run_id == caller.delegation_run_id;
}

// OK, or NOT_FOUND with `not_found` (the store's own text for a missing
// record) when `run_id` is not the caller's bound run.
inline absl::Status CheckBoundRun(const Caller& caller,
                                  absl::string_view run_id,
                                  absl::string_view not_found) {
  if (BoundRunAllows(caller, run_id)) return absl::OkStatus();
  return absl::NotFoundError(not_found);
}

// Drops the items of a list that belong to another run than the caller's
// bound one; `run_of(item)` names an item's run.
template <typename T, typename RunOf>
void KeepBoundRun(const Caller& caller,
                  google::protobuf::RepeatedPtrField<T>* items, RunOf run_of) {
  if (caller.delegation_run_id.empty()) return;
  items->erase(std::remove_if(items->begin(), items->end(),
                              [&](const T& item) {
                                return !BoundRunAllows(caller, run_of(item));
                              }),
               items->end());
}

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_RUN_BINDING_H_
