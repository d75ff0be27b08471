// The permission table read from the protos; see permission_table.h.
#include "common/server/permission_table.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/permission_set.h"
#include "common/status/status_macros.h"

namespace bastion {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

absl::StatusOr<IdFieldPath> ResolveIdField(const Descriptor& request,
                                           absl::string_view id_field) {
  IdFieldPath path;
  if (id_field.empty()) return path;
  const Descriptor* message = &request;
  for (absl::string_view part : absl::StrSplit(id_field, '.')) {
    const FieldDescriptor* field =
        message == nullptr ? nullptr
                           : message->FindFieldByName(std::string(part));
    if (field == nullptr || field->is_repeated()) {
      return absl::InvalidArgumentError("not a path of singular fields");
    }
    path.push_back(field);
    message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                  ? field->message_type()
                  : nullptr;
  }
  if (path.back()->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return absl::InvalidArgumentError("does not end in a string field");
  }
  return path;
}

absl::Status ValidatePermission(
    const google::protobuf::MethodDescriptor& method) {
  auto refuse = [&](absl::string_view why) {
    return absl::FailedPreconditionError(
        absl::StrCat("method ", method.full_name(), " ", why));
  };
  if (!method.options().HasExtension(common::v1::permission)) {
    return refuse("declares no bastion.common.v1.permission option");
  }
  const common::v1::Permission& permission =
      method.options().GetExtension(common::v1::permission);
  const int kinds = static_cast<int>(permission.public_()) +
                    static_cast<int>(permission.internal()) +
                    static_cast<int>(permission.authenticated_only());
  if (kinds > 1) {
    return refuse("combines public, internal and authenticated_only");
  }
  if (permission.public_()) {
    if (!permission.resource().empty() || !permission.action().empty()) {
      return refuse("is public but names a resource or action");
    }
    return absl::OkStatus();
  }
  if (!ResolveIdField(*method.input_type(), permission.id_field()).ok()) {
    return refuse(absl::StrCat("names id_field \"", permission.id_field(),
                               "\" which is not a string field of ",
                               method.input_type()->full_name()));
  }
  // Whatever is named comes from the closed set (common/auth/
  // permission_set.h), including on internal and authenticated_only
  // methods, whose resource and action name what they touch for audit.
  if (!permission.resource().empty() &&
      !ParseResource(permission.resource()).has_value()) {
    return refuse(absl::StrCat("declares unknown resource \"",
                               absl::CEscape(permission.resource()),
                               "\" (known: ", ResourceNames(), ")"));
  }
  if (!permission.action().empty() &&
      !IsDeclarableAction(permission.action())) {
    return refuse(absl::StrCat("declares unknown action \"",
                               absl::CEscape(permission.action()),
                               "\" (known: ", DeclarableActionNames(), ")"));
  }
  if (permission.internal() && permission.resource().empty()) {
    // Service identity alone decides.
    return absl::OkStatus();
  }
  if (permission.resource().empty() || permission.action().empty()) {
    return refuse("declares a permission without resource and action");
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::flat_hash_map<std::string, MethodPermission>>
ReadPermissions(absl::string_view service_full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service_full_name));
  if (service == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown service ", service_full_name));
  }
  absl::flat_hash_map<std::string, MethodPermission> permissions;
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor& method = *service->method(i);
    RETURN_IF_ERROR(ValidatePermission(method));
    MethodPermission& entry = permissions[method.name()];
    entry.permission = method.options().GetExtension(common::v1::permission);
    if (!entry.permission.public_()) {
      // Cannot fail: ValidatePermission resolved it already.
      ASSIGN_OR_RETURN(entry.id_path,
                       ResolveIdField(*method.input_type(),
                                      entry.permission.id_field()));
    }
  }
  return permissions;
}

absl::Status ValidatePermissions(
    const std::vector<std::string>& service_full_names) {
  for (const std::string& name : service_full_names) {
    RETURN_IF_ERROR(ReadPermissions(name).status());
  }
  return absl::OkStatus();
}

std::string ExtractResourceId(
    const google::protobuf::Message& request,
    absl::Span<const FieldDescriptor* const> path) {
  const google::protobuf::Message* message = &request;
  for (size_t i = 0; i < path.size(); ++i) {
    const google::protobuf::Reflection& reflection = *message->GetReflection();
    if (i + 1 == path.size()) return reflection.GetString(*message, path[i]);
    message = &reflection.GetMessage(*message, path[i]);
  }
  return "";
}

}  // namespace bastion
