#include "common/auth/remote_audit.h"

#include "absl/time/clock.h"
#include "bastion/data/v1/data.grpc.pb.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bastion {

data::v1::AuditEvent AuditEventFrom(const AuditRecord& record) {
  data::v1::AuditEvent event;
  event.set_tenant_id(record.tenant_id);
  event.set_user_id(record.user_id);
  event.set_admin_level("none");
  event.set_action(record.action);
  event.set_resource(record.resource);
  event.set_resource_id(record.resource_id);
  event.set_occurred_at_unix_micros(record.occurred_at_unix_micros);
  // Built as a Struct so hostile text can never break the JSON.
  google::protobuf::Struct detail;
  (*detail.mutable_fields())["method"].set_string_value(record.method);
  (*detail.mutable_fields())["reason"].set_string_value(record.reason);
  std::string json;
  if (google::protobuf::util::MessageToJsonString(detail, &json).ok()) {
    event.set_detail_json(json);
  }
  return event;
}

QueuedAuditSink::Writer RemoteAuditWriter(std::shared_ptr<grpc::Channel> data) {
  auto stub = std::shared_ptr<data::v1::AuditWriter::Stub>(
      data::v1::AuditWriter::NewStub(std::move(data)));
  return [stub](const std::vector<AuditRecord>& records) {
    data::v1::AppendAuditEventsRequest request;
    for (const AuditRecord& record : records) {
      *request.add_events() = AuditEventFrom(record);
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    data::v1::AppendAuditEventsResponse response;
    return FromGrpcStatus(stub->AppendAuditEvents(&context, request, &response));
  };
}

}  // namespace bastion
