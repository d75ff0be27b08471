// Request checks; see request_check.h.
#include "common/auth/request_check.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bastion/common/v1/common.pb.h"
#include "common/ids/resource_id.h"

namespace bastion {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The fields from the request down to the one being checked, each with its
// index when repeated (-1 otherwise). Turned into text only on a refusal.
using FieldTrail = std::vector<std::pair<const FieldDescriptor*, int>>;

std::string PathOf(const FieldTrail& trail) {
  std::string path;
  for (const auto& [field, index] : trail) {
    if (!path.empty()) path += '.';
    path += field->name();
    if (index >= 0) absl::StrAppend(&path, "[", index, "]");
  }
  return path;
}

absl::Status CheckString(const std::string& value, const FieldDescriptor& field,
                         const FieldTrail& trail) {
  if (value.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(PathOf(trail), ": contains a NUL character"));
  }
  if (field.options().GetExtension(common::v1::resource_id) &&
      !IsValidResourceId(value)) {
    return CheckResourceId(value, PathOf(trail));
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& message, FieldTrail& trail) {
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);  // set fields only
  for (const FieldDescriptor* field : fields) {
    const bool is_string = field->type() == FieldDescriptor::TYPE_STRING;
    const bool is_message =
        field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    if (!is_string && !is_message) continue;
    const int count =
        field->is_repeated() ? reflection.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      trail.emplace_back(field, field->is_repeated() ? i : -1);
      absl::Status status;
      std::string scratch;
      if (is_string) {
        const std::string& value =
            field->is_repeated()
                ? reflection.GetRepeatedStringReference(message, field, i,
                                                        &scratch)
                : reflection.GetStringReference(message, field, &scratch);
        status = CheckString(value, *field, trail);
      } else {
        status = CheckMessage(field->is_repeated()
                                  ? reflection.GetRepeatedMessage(message,
                                                                  field, i)
                                  : reflection.GetMessage(message, field),
                              trail);
      }
      if (!status.ok()) return status;
      trail.pop_back();
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRequest(const Message& request,
                          absl::Span<const FieldDescriptor* const> id_path,
                          absl::string_view id_field) {
  FieldTrail trail;
  absl::Status status = CheckMessage(request, trail);
  if (!status.ok() || id_path.empty()) return status;
  // The permission's id: what authz will be asked about.
  const Message* message = &request;
  for (size_t i = 0; i + 1 < id_path.size(); ++i) {
    message = &message->GetReflection()->GetMessage(*message, id_path[i]);
  }
  std::string scratch;
  const std::string& id = message->GetReflection()->GetStringReference(
      *message, id_path.back(), &scratch);
  if (id.empty()) return absl::OkStatus();
  return CheckResourceId(id, id_field);
}

}  // namespace bastion
