#include "services/data/audit_log_service.h"

#include <utility>

#include "common/server/finish.h"
#include "common/status/answer.h"

namespace bastion::data {

AuditLogService::AuditLogService(domain::AuditLog* domain, CallGuard guard)
    : domain_(domain), guard_(std::move(guard)) {}

grpc::ServerUnaryReactor* AuditLogService::ListAuditEvents(
    grpc::CallbackServerContext* context,
    const v1::ListAuditEventsRequest* request,
    v1::ListAuditEventsResponse* response) {
  return Finish(
      context,
      guard_.Run(context, "ListAuditEvents", *request, [&](const Caller& c) {
        return Answer(domain_->ListAuditEvents(c, *request), response);
      }));
}

}  // namespace bastion::data
