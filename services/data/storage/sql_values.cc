#include "services/data/storage/sql_values.h"

#include <cstdio>

#include "absl/strings/numbers.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace bastion::data::storage {

const char* ComponentTypeText(common::v1::ComponentType type) {
  switch (type) {
    case common::v1::COMPONENT_TYPE_AGENT:
      return "agent";
    case common::v1::COMPONENT_TYPE_TEAM:
      return "team";
    case common::v1::COMPONENT_TYPE_WORKFLOW:
      return "workflow";
    default:
      return nullptr;
  }
}

common::v1::ComponentType ComponentTypeFromText(std::string_view text) {
  if (text == "agent") return common::v1::COMPONENT_TYPE_AGENT;
  if (text == "team") return common::v1::COMPONENT_TYPE_TEAM;
  if (text == "workflow") return common::v1::COMPONENT_TYPE_WORKFLOW;
  return common::v1::COMPONENT_TYPE_UNSPECIFIED;
}

pg::Param ComponentTypeParam(common::v1::ComponentType type) {
  const char* text = ComponentTypeText(type);
  if (text == nullptr) return std::nullopt;
  return std::string(text);
}

int64_t ToInt64(std::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(std::string(text), &value)) return 0;
  return value;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

absl::StatusOr<std::vector<std::string>> ParseJsonStringArray(
    std::string_view json) {
  google::protobuf::ListValue list;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &list)
           .ok()) {
    return absl::InternalError("malformed stored list");
  }
  std::vector<std::string> out;
  for (const google::protobuf::Value& v : list.values()) {
    out.push_back(v.string_value());
  }
  return out;
}

pg::Param OptionalParam(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace bastion::data::storage
