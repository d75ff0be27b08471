#include "services/data/domain/traces.h"

#include "common/status/status_macros.h"
#include "services/data/domain/caller_scope.h"
#include "services/data/domain/checks.h"

namespace bastion::data::domain {
namespace {

constexpr size_t kMaxAttributesBytes = 64 * 1024;

absl::Status CheckSpan(const v1::Span &span) {
  RETURN_IF_ERROR(CheckId(span.trace_id(), "trace_id"));
  RETURN_IF_ERROR(CheckId(span.span_id(), "span_id"));
  RETURN_IF_ERROR(CheckOptionalId(span.parent_span_id(), "parent_span_id"));
  if (span.name().empty() || span.name().size() > 512) {
    return absl::InvalidArgumentError(
        "span name must have 1 to 512 characters");
  }
  if (span.start_time_unix_nano() <= 0 ||
      (span.end_time_unix_nano() != 0 &&
       span.end_time_unix_nano() < span.start_time_unix_nano())) {
    return absl::InvalidArgumentError("span times are invalid");
  }
  if (!span.attributes_json().empty()) {
    RETURN_IF_ERROR(CheckJsonObject(span.attributes_json(), kMaxAttributesBytes,
                                    "attributes_json"));
  }
  if (span.status_message().size() > 2048) {
    return absl::InvalidArgumentError("status_message is too long");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::AppendSpansResponse> Traces::AppendSpans(
    const Caller &caller, const v1::AppendSpansRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  if (request.spans().empty() || request.spans_size() > storage::kMaxPageSize) {
    return absl::InvalidArgumentError("1 to 1000 spans");
  }
  for (const v1::Span &span : request.spans()) RETURN_IF_ERROR(CheckSpan(span));
  return store_.AppendSpans(scope, request);
}

absl::StatusOr<v1::GetTraceResponse> Traces::GetTrace(
    const Caller &caller, const v1::GetTraceRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  RETURN_IF_ERROR(CheckId(request.trace_id(), "trace_id"));
  return store_.GetTrace(scope, request);
}

absl::StatusOr<v1::ListTracesResponse> Traces::ListTraces(
    const Caller &caller, const v1::ListTracesRequest &request) {
  ASSIGN_OR_RETURN(pg::PrincipalScope scope, ScopeOf(caller));
  ASSIGN_OR_RETURN(storage::Page page,
                   PageOf("traces.created.desc", request.page()));
  return store_.ListTraces(scope, storage::ListFilter(scope, request.user_id()),
                           page, request);
}

}  // namespace bastion::data::domain
