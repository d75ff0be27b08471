#include "services/data/audit_writer_service.h"

#include <utility>

#include "absl/time/clock.h"
#include "common/server/finish.h"
#include "common/status/answer.h"

namespace bastion::data {

AuditWriterService::AuditWriterService(domain::AuditWriter* writer,
                                       CallGuard guard)
    : writer_(writer), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* AuditWriterService::AppendAuditEvents(
    grpc::CallbackServerContext* context,
    const v1::AppendAuditEventsRequest* request,
    v1::AppendAuditEventsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "AppendAuditEvents", *request, [&](const Caller&) {
        absl::Status appended = writer_->Append(request->events(), absl::Now());
        if (appended.ok()) response->set_appended(request->events_size());
        return appended;
      }));
}

}  // namespace bastion::data
