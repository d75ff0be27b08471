#include "common/config/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_macros.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/util/json_util.h"

namespace bastion {
namespace {

using google::protobuf::FieldDescriptor;

absl::Status SetScalar(const FieldDescriptor& field, const std::string& name,
                       const std::string& value,
                       google::protobuf::Message* config) {
  const google::protobuf::Reflection& reflection = *config->GetReflection();
  auto bad = [&]() {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment variable ", name, " is not a valid ", field.type_name()));
  };
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      reflection.SetString(config, &field, value);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad();
      reflection.SetInt32(config, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad();
      reflection.SetInt64(config, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(value, &v)) return bad();
      reflection.SetUInt32(config, &field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string lower = absl::AsciiStrToLower(value);
      if (lower == "true" || lower == "1") {
        reflection.SetBool(config, &field, true);
      } else if (lower == "false" || lower == "0") {
        reflection.SetBool(config, &field, false);
      } else {
        return bad();
      }
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "environment variable ", name, " cannot set field ", field.name()));
  }
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::Status ParseConfigJson(absl::string_view json,
                             google::protobuf::Message* config) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(std::string(json), config, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid config: ", status.message().ToString()));
  }
  return absl::OkStatus();
}

absl::Status ApplyEnvOverrides(absl::string_view env_prefix,
                               const EnvLookup& env,
                               google::protobuf::Message* config) {
  const google::protobuf::Descriptor& descriptor = *config->GetDescriptor();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    const std::string name =
        absl::StrCat(env_prefix, absl::AsciiStrToUpper(field.name()));
    const std::optional<std::string> value = env(name);
    if (!value.has_value()) continue;
    if (field.is_repeated()) {
      if (field.cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
        return absl::InvalidArgumentError(absl::StrCat(
            "environment variable ", name, " cannot set field ", field.name()));
      }
      const google::protobuf::Reflection& reflection = *config->GetReflection();
      reflection.ClearField(config, &field);
      for (absl::string_view item :
           absl::StrSplit(*value, ',', absl::SkipWhitespace())) {
        reflection.AddString(config, &field,
                             std::string(absl::StripAsciiWhitespace(item)));
      }
      continue;
    }
    if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) continue;
    RETURN_IF_ERROR(SetScalar(field, name, *value, config));
  }
  return absl::OkStatus();
}

absl::Status LoadConfig(const std::string& path, absl::string_view env_prefix,
                        const EnvLookup& env,
                        google::protobuf::Message* config) {
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read config file ", path));
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    absl::Status status = ParseConfigJson(buffer.str(), config);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", status.message()));
    }
  }
  return ApplyEnvOverrides(env_prefix, env, config);
}

}  // namespace bastion
