// The traces domain: checks a caller's spans and trace requests and decides
// whose rows they reach, then hands them to the store.
#ifndef BASTION_SERVICES_DATA_DOMAIN_TRACES_H_
#define BASTION_SERVICES_DATA_DOMAIN_TRACES_H_

#include "absl/status/statusor.h"
#include "bastion/data/v1/data.pb.h"
#include "common/auth/caller.h"
#include "services/data/storage/trace_store.h"

namespace bastion::data::domain {

// Every call acts as the caller, like Sessions (sessions.h); spans are
// written as the caller whatever user they name. Thread-safe; `store` must
// outlive it.
class Traces {
 public:
  explicit Traces(storage::TraceStore &store) : store_(store) {}

  // 1 to storage::kMaxPageSize spans, each with valid ids, a 1 to 512
  // character name, a start time (and an end no earlier), attributes that
  // are a JSON object of at most 64 KiB, a status message of at most 2048.
  absl::StatusOr<v1::AppendSpansResponse> AppendSpans(
      const Caller &caller, const v1::AppendSpansRequest &request);
  absl::StatusOr<v1::GetTraceResponse> GetTrace(
      const Caller &caller, const v1::GetTraceRequest &request);
  absl::StatusOr<v1::ListTracesResponse> ListTraces(
      const Caller &caller, const v1::ListTracesRequest &request);

 private:
  storage::TraceStore &store_;
};

}  // namespace bastion::data::domain

#endif  // BASTION_SERVICES_DATA_DOMAIN_TRACES_H_
