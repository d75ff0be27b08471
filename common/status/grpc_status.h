// The one place where an absl::Status becomes a grpc::Status.
#ifndef BASTION_COMMON_STATUS_GRPC_STATUS_H_
#define BASTION_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace bastion {

// Maps code and message one to one. Callers put only caller-safe text in
// messages; raw library errors are logged, never returned.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse, for clients of other Bastion services.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace bastion

#endif  // BASTION_COMMON_STATUS_GRPC_STATUS_H_
