// Audit records as data's AuditEvent messages, and the writer other services
// use to append them through data's AuditWriter with their service identity.
#ifndef BASTION_COMMON_AUTH_REMOTE_AUDIT_H_
#define BASTION_COMMON_AUTH_REMOTE_AUDIT_H_

#include <memory>

#include <grpcpp/grpcpp.h>

#include "bastion/data/v1/data.pb.h"
#include "common/auth/audit_sink.h"

namespace bastion {

// The stored form: method and reason go into detail_json.
data::v1::AuditEvent AuditEventFrom(const AuditRecord& record);

// A QueuedAuditSink writer that calls data's AuditWriter.AppendAuditEvents
// over `data`, a channel from ChannelFactory::Channel (which attaches the
// service's identity).
QueuedAuditSink::Writer RemoteAuditWriter(std::shared_ptr<grpc::Channel> data);

}  // namespace bastion

#endif  // BASTION_COMMON_AUTH_REMOTE_AUDIT_H_
