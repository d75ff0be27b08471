// gRPC adapter of data's AuditLog: runs the guard, hands the verified
// Caller to the domain, maps the status.
#ifndef BASTION_SERVICES_DATA_AUDIT_LOG_SERVICE_H_
#define BASTION_SERVICES_DATA_AUDIT_LOG_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/audit.h"

namespace bastion::data {

// Thread-safe (the domain and the guard are).
class AuditLogService final : public v1::AuditLog::CallbackService {
 public:
  AuditLogService(domain::AuditLog* domain, CallGuard guard);

  grpc::ServerUnaryReactor* ListAuditEvents(
      grpc::CallbackServerContext* context,
      const v1::ListAuditEventsRequest* request,
      v1::ListAuditEventsResponse* response) override;

 private:
  domain::AuditLog* domain_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_AUDIT_LOG_SERVICE_H_
