// The permission each RPC declares in its proto, read once from the
// descriptors. A service whose methods are not all annotated cannot start.
#ifndef BASTION_COMMON_SERVER_PERMISSION_TABLE_H_
#define BASTION_COMMON_SERVER_PERMISSION_TABLE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "bastion/common/v1/common.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace bastion {

// The path of singular message fields that leads to a method's resource id,
// ending in a string field; empty when the method names no id_field.
using IdFieldPath = std::vector<const google::protobuf::FieldDescriptor*>;

// One method's declaration, resolved once at startup.
struct MethodPermission {
  common::v1::Permission permission;
  IdFieldPath id_path;
};

// Reads the `bastion.common.v1.permission` option of every method of the
// named service (full name, e.g. "bastion.data.v1.Sessions"), keyed by
// method name. FAILED_PRECONDITION naming the first method that has no
// option or an inconsistent one (public together with internal or a
// resource, an id_field that is not a string field of the request), or an
// unknown service.
absl::StatusOr<absl::flat_hash_map<std::string, MethodPermission>>
ReadPermissions(absl::string_view service_full_name);

// ReadPermissions for each service, keeping nothing: startup refuses a
// server that would serve an undeclared method.
absl::Status ValidatePermissions(
    const std::vector<std::string>& service_full_names);

// Checks one method's declaration (exposed for tests).
absl::Status ValidatePermission(const google::protobuf::MethodDescriptor& method);

// Resolves a (possibly dotted) id_field, e.g. "session_id" or "role.name",
// against a request type; INVALID_ARGUMENT unless it names singular message
// fields ending in a string field. "" resolves to the empty path.
absl::StatusOr<IdFieldPath> ResolveIdField(
    const google::protobuf::Descriptor& request, absl::string_view id_field);

// The resource id at `path` in `request` (which must be of the type the
// path was resolved against); empty when unset or when the path is empty.
std::string ExtractResourceId(
    const google::protobuf::Message& request,
    absl::Span<const google::protobuf::FieldDescriptor* const> path);

}  // namespace bastion

#endif  // BASTION_COMMON_SERVER_PERMISSION_TABLE_H_
