// gRPC adapter of data's AuditWriter: the guard admits only trusted
// services; the audit domain checks and stores their events.
#ifndef BASTION_SERVICES_DATA_AUDIT_WRITER_SERVICE_H_
#define BASTION_SERVICES_DATA_AUDIT_WRITER_SERVICE_H_

#include "bastion/data/v1/data.grpc.pb.h"
#include "common/auth/call_guard.h"
#include "services/data/domain/audit.h"

namespace bastion::data {

// Thread-safe.
class AuditWriterService final : public v1::AuditWriter::CallbackService {
 public:
  AuditWriterService(domain::AuditWriter* writer, CallGuard guard);

  grpc::ServerUnaryReactor* AppendAuditEvents(
      grpc::CallbackServerContext* context,
      const v1::AppendAuditEventsRequest* request,
      v1::AppendAuditEventsResponse* response) override;

 private:
  domain::AuditWriter* writer_;
  CallGuard guard_;
};

}  // namespace bastion::data

#endif  // BASTION_SERVICES_DATA_AUDIT_WRITER_SERVICE_H_
