// The permission each RPC declares in its proto, read once from the
// descriptors. A service whose methods are not all annotated cannot start.
#ifndef BASTION_COMMON_SERVER_PERMISSION_TABLE_H_
#define BASTION_COMMON_SERVER_PERMISSION_TABLE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bastion/common/v1/common.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace bastion {

// Immutable after Build; safe to share between threads.
class PermissionTable {
 public:
  // Reads the `bastion.common.v1.permission` option of every method of the
  // named services (full names, e.g. "bastion.data.v1.Sessions"). Fails with
  // FAILED_PRECONDITION naming the first method that has no option or an
  // inconsistent one (public together with internal or a resource, an
  // id_field that is not a string field of the request).
  static absl::StatusOr<PermissionTable> Build(
      const std::vector<std::string>& service_full_names);

  // The permission of "<service full name>/<method name>", or nullptr for a
  // method this table does not know (callers deny).
  const common::v1::Permission* Find(absl::string_view service_full_name,
                                     absl::string_view method_name) const;

 private:
  absl::flat_hash_map<std::string, common::v1::Permission> permissions_;
};

// Checks one method's declaration (exposed for tests).
absl::Status ValidatePermission(const google::protobuf::MethodDescriptor& method);

// Reads the resource id named by a (possibly dotted) id_field, e.g.
// "session_id" or "role.name". Empty when the field is unset.
std::string ExtractResourceId(const google::protobuf::Message& request,
                              absl::string_view id_field);

}  // namespace bastion

#endif  // BASTION_COMMON_SERVER_PERMISSION_TABLE_H_
