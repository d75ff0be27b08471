#include "common/server/permission_table.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"

namespace bastion {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Resolves a dotted path of singular message fields ending in a string field.
const FieldDescriptor* ResolveIdField(const Descriptor& request,
                                      absl::string_view path) {
  const Descriptor* message = &request;
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (message == nullptr) return nullptr;
    field = message->FindFieldByName(std::string(part));
    if (field == nullptr || field->is_repeated()) return nullptr;
    message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                  ? field->message_type()
                  : nullptr;
  }
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return nullptr;
  }
  return field;
}

}  // namespace

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
  if (permission.internal() && permission.resource().empty()) {
    // Service identity alone decides.
    return absl::OkStatus();
  }
  if (permission.resource().empty() || permission.action().empty()) {
    return refuse("declares a permission without resource and action");
  }
  if (!permission.id_field().empty() &&
      ResolveIdField(*method.input_type(), permission.id_field()) == nullptr) {
    return refuse(absl::StrCat("names id_field \"", permission.id_field(),
                               "\" which is not a string field of ",
                               method.input_type()->full_name()));
  }
  return absl::OkStatus();
}

absl::StatusOr<PermissionTable> PermissionTable::Build(
    const std::vector<std::string>& service_full_names) {
  PermissionTable table;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : service_full_names) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(name);
    if (service == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("unknown service ", name));
    }
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor& method = *service->method(i);
      RETURN_IF_ERROR(ValidatePermission(method));
      table.permissions_[absl::StrCat(name, "/", method.name())] =
          method.options().GetExtension(common::v1::permission);
    }
  }
  return table;
}

const common::v1::Permission* PermissionTable::Find(
    absl::string_view service_full_name, absl::string_view method_name) const {
  auto it = permissions_.find(absl::StrCat(service_full_name, "/", method_name));
  return it == permissions_.end() ? nullptr : &it->second;
}

std::string ExtractResourceId(const google::protobuf::Message& request,
                              absl::string_view id_field) {
  if (id_field.empty()) return "";
  const google::protobuf::Message* message = &request;
  std::vector<absl::string_view> parts = absl::StrSplit(id_field, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        message->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    if (field == nullptr || field->is_repeated()) return "";
    const google::protobuf::Reflection& reflection = *message->GetReflection();
    if (i + 1 == parts.size()) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) return "";
      return reflection.GetString(*message, field);
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return "";
    message = &reflection.GetMessage(*message, field);
  }
  return "";
}

}  // namespace bastion
