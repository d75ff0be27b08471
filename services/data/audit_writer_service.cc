#include "services/data/audit_writer_service.h"

#include <utility>

#include "absl/time/clock.h"

namespace bastion::data {

AuditWriterService::AuditWriterService(storage::PgAuditWriter* writer,
                                       CallGuard guard)
    : writer_(writer), guard_(std::move(guard)) {}

grpc::Status AuditWriterService::AppendAuditEvents(
    grpc::ServerContext* context, const v1::AppendAuditEventsRequest* request,
    v1::AppendAuditEventsResponse* response) {
  return guard_.Run(context, "AppendAuditEvents", *request, [&](const Caller&) {
    const std::vector<v1::AuditEvent> events(request->events().begin(),
                                             request->events().end());
    absl::Status appended = writer_->Append(events, absl::Now());
    if (appended.ok()) response->set_appended(static_cast<int>(events.size()));
    return appended;
  });
}

}  // namespace bastion::data
