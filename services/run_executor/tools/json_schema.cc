#include "services/run_executor/tools/json_schema.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_macros.h"

namespace bastion::runs {

using nlohmann::json;

namespace {

enum TypeBit : unsigned {
  kObject = 1u << 0,
  kArray = 1u << 1,
  kString = 1u << 2,
  kNumber = 1u << 3,
  kInteger = 1u << 4,
  kBoolean = 1u << 5,
  kNull = 1u << 6,
};

constexpr std::pair<const char*, TypeBit> kTypeNames[] = {
    {"object", kObject},   {"array", kArray},     {"string", kString},
    {"number", kNumber},   {"integer", kInteger}, {"boolean", kBoolean},
    {"null", kNull},
};

// Longest quoted key or allowed-values list in a message.
constexpr size_t kMaxQuoted = 64;
constexpr size_t kMaxEnumText = 200;

std::optional<TypeBit> TypeNamed(const std::string& name) {
  for (const auto& [type_name, bit] : kTypeNames) {
    if (name == type_name) return bit;
  }
  return std::nullopt;
}

std::string TypeList(unsigned types) {
  std::vector<std::string> names;
  for (const auto& [type_name, bit] : kTypeNames) {
    if ((types & bit) != 0) names.push_back(type_name);
  }
  return absl::StrJoin(names, " or ");
}

const char* TypeOf(const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::null:
      return "null";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    default:
      return "number";
  }
}

bool IsIntegral(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double number = value.get<double>();
  return std::isfinite(number) && std::trunc(number) == number;
}

bool HasType(const json& value, unsigned types) {
  if (types == 0) return true;
  if ((types & kObject) && value.is_object()) return true;
  if ((types & kArray) && value.is_array()) return true;
  if ((types & kString) && value.is_string()) return true;
  if ((types & kNumber) && value.is_number()) return true;
  if ((types & kInteger) && IsIntegral(value)) return true;
  if ((types & kBoolean) && value.is_boolean()) return true;
  if ((types & kNull) && value.is_null()) return true;
  return false;
}

// A key from the arguments, safe to put in a message: JSON-quoted, cut.
std::string Quoted(const std::string& key) {
  std::string shown = key.size() > kMaxQuoted ? key.substr(0, kMaxQuoted) : key;
  std::string quoted =
      json(shown).dump(-1, ' ', /*ensure_ascii=*/true,
                       json::error_handler_t::replace);
  if (key.size() > kMaxQuoted) quoted.append("...");
  return quoted;
}

size_t CodePoints(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

absl::Status SchemaError(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid parameters schema at ", path, ": ", problem));
}

}  // namespace

struct JsonSchema::Node {
  unsigned types = 0;  // 0: any type
  std::map<std::string, std::unique_ptr<Node>> properties;
  std::vector<std::string> required;
  bool additional_allowed = true;
  std::unique_ptr<Node> additional;  // schema for other keys, when given
  std::unique_ptr<Node> items;
  std::optional<std::vector<json>> allowed;  // enum
  std::optional<uint64_t> min_length, max_length, min_items, max_items;
  std::optional<double> minimum, maximum;
};

namespace {

using Node = JsonSchema::Node;

absl::StatusOr<std::optional<uint64_t>> CountKeyword(const json& schema,
                                                    const char* keyword,
                                                    const std::string& path) {
  auto found = schema.find(keyword);
  if (found == schema.end()) return std::optional<uint64_t>();
  if (!IsIntegral(*found) || found->get<double>() < 0) {
    return SchemaError(absl::StrCat(path, ".", keyword),
                       "must be a non-negative integer");
  }
  return std::optional<uint64_t>(found->get<uint64_t>());
}

absl::StatusOr<std::optional<double>> NumberKeyword(const json& schema,
                                                   const char* keyword,
                                                   const std::string& path) {
  auto found = schema.find(keyword);
  if (found == schema.end()) return std::optional<double>();
  if (!found->is_number()) {
    return SchemaError(absl::StrCat(path, ".", keyword), "must be a number");
  }
  return std::optional<double>(found->get<double>());
}

absl::StatusOr<std::unique_ptr<Node>> Compile(const json& schema,
                                              const std::string& path,
                                              int depth) {
  if (depth > kMaxJsonDepth) return SchemaError(path, "nested too deeply");
  if (!schema.is_object()) return SchemaError(path, "must be an object");
  auto node = std::make_unique<Node>();

  if (auto type = schema.find("type"); type != schema.end()) {
    std::vector<json> names;
    if (type->is_string()) {
      names.push_back(*type);
    } else if (type->is_array() && !type->empty()) {
      names.assign(type->begin(), type->end());
    } else {
      return SchemaError(path + ".type",
                         "must be a type name or a non-empty array of them");
    }
    for (const json& name : names) {
      std::optional<TypeBit> bit =
          name.is_string() ? TypeNamed(name.get<std::string>()) : std::nullopt;
      if (!bit.has_value()) {
        return SchemaError(path + ".type",
                           absl::StrCat("unknown type (known: ",
                                        TypeList(~0u), ")"));
      }
      if ((node->types & *bit) != 0) {
        return SchemaError(path + ".type", "names a type twice");
      }
      node->types |= *bit;
    }
  }

  if (auto properties = schema.find("properties");
      properties != schema.end()) {
    if (!properties->is_object()) {
      return SchemaError(path + ".properties", "must be an object");
    }
    for (const auto& [key, property] : properties->items()) {
      ASSIGN_OR_RETURN(
          node->properties[key],
          Compile(property, absl::StrCat(path, ".properties.", key), depth + 1));
    }
  }

  if (auto required = schema.find("required"); required != schema.end()) {
    if (!required->is_array()) {
      return SchemaError(path + ".required", "must be an array of strings");
    }
    std::set<std::string> seen;
    for (const json& key : *required) {
      if (!key.is_string()) {
        return SchemaError(path + ".required", "must be an array of strings");
      }
      if (!seen.insert(key.get<std::string>()).second) {
        return SchemaError(path + ".required", "names a key twice");
      }
      node->required.push_back(key.get<std::string>());
    }
  }

  if (auto additional = schema.find("additionalProperties");
      additional != schema.end()) {
    if (additional->is_boolean()) {
      node->additional_allowed = additional->get<bool>();
    } else {
      ASSIGN_OR_RETURN(node->additional,
                       Compile(*additional, path + ".additionalProperties",
                               depth + 1));
    }
  }

  if (auto items = schema.find("items"); items != schema.end()) {
    if (items->is_array()) {
      return SchemaError(path + ".items",
                         "the tuple form (an array of schemas) is not "
                         "supported; give one schema");
    }
    ASSIGN_OR_RETURN(node->items, Compile(*items, path + ".items", depth + 1));
  }

  if (auto allowed = schema.find("enum"); allowed != schema.end()) {
    if (!allowed->is_array() || allowed->empty()) {
      return SchemaError(path + ".enum", "must be a non-empty array");
    }
    node->allowed.emplace(allowed->begin(), allowed->end());
  }

  ASSIGN_OR_RETURN(node->min_length, CountKeyword(schema, "minLength", path));
  ASSIGN_OR_RETURN(node->max_length, CountKeyword(schema, "maxLength", path));
  ASSIGN_OR_RETURN(node->min_items, CountKeyword(schema, "minItems", path));
  ASSIGN_OR_RETURN(node->max_items, CountKeyword(schema, "maxItems", path));
  ASSIGN_OR_RETURN(node->minimum, NumberKeyword(schema, "minimum", path));
  ASSIGN_OR_RETURN(node->maximum, NumberKeyword(schema, "maximum", path));
  if ((node->min_length && node->max_length &&
       *node->min_length > *node->max_length) ||
      (node->min_items && node->max_items &&
       *node->min_items > *node->max_items) ||
      (node->minimum && node->maximum && *node->minimum > *node->maximum)) {
    return SchemaError(path, "a minimum is above its maximum");
  }
  return node;
}

absl::Status Mismatch(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

absl::Status CheckValue(const Node& node, const json& value,
                        const std::string& path) {
  if (!HasType(value, node.types)) {
    return Mismatch(path, absl::StrCat("expected ", TypeList(node.types),
                                       ", got ", TypeOf(value)));
  }
  if (node.allowed.has_value()) {
    bool found = false;
    for (const json& allowed : *node.allowed) found = found || allowed == value;
    if (!found) {
      std::string choices = json(*node.allowed).dump(
          -1, ' ', /*ensure_ascii=*/true, json::error_handler_t::replace);
      if (choices.size() > kMaxEnumText) {
        choices = choices.substr(0, kMaxEnumText) + "...";
      }
      return Mismatch(path, absl::StrCat("must be one of ", choices));
    }
  }
  if (value.is_string()) {
    const size_t length = CodePoints(value.get_ref<const std::string&>());
    if (node.min_length && length < *node.min_length) {
      return Mismatch(path, absl::StrCat("shorter than ", *node.min_length,
                                         " characters"));
    }
    if (node.max_length && length > *node.max_length) {
      return Mismatch(path, absl::StrCat("longer than ", *node.max_length,
                                         " characters"));
    }
  }
  if (value.is_number()) {
    const double number = value.get<double>();
    if (node.minimum && number < *node.minimum) {
      return Mismatch(path, absl::StrCat("below the minimum ", *node.minimum));
    }
    if (node.maximum && number > *node.maximum) {
      return Mismatch(path, absl::StrCat("above the maximum ", *node.maximum));
    }
  }
  if (value.is_array()) {
    if (node.min_items && value.size() < *node.min_items) {
      return Mismatch(path, absl::StrCat("fewer than ", *node.min_items,
                                         " items"));
    }
    if (node.max_items && value.size() > *node.max_items) {
      return Mismatch(path, absl::StrCat("more than ", *node.max_items,
                                         " items"));
    }
    if (node.items != nullptr) {
      for (size_t i = 0; i < value.size(); ++i) {
        RETURN_IF_ERROR(
            CheckValue(*node.items, value[i], absl::StrCat(path, "[", i, "]")));
      }
    }
  }
  if (value.is_object()) {
    for (const std::string& key : node.required) {
      if (!value.contains(key)) {
        return Mismatch(path,
                        absl::StrCat("missing required property ", Quoted(key)));
      }
    }
    for (const auto& [key, member] : value.items()) {
      auto property = node.properties.find(key);
      if (property != node.properties.end()) {
        RETURN_IF_ERROR(
            CheckValue(*property->second, member, absl::StrCat(path, ".", key)));
      } else if (node.additional != nullptr) {
        RETURN_IF_ERROR(CheckValue(*node.additional, member,
                                   absl::StrCat(path, "[", Quoted(key), "]")));
      } else if (!node.additional_allowed) {
        return Mismatch(path, absl::StrCat("unexpected property ", Quoted(key)));
      }
    }
  }
  return absl::OkStatus();
}

bool IsBlank(absl::string_view text) {
  return absl::StripAsciiWhitespace(text).empty();
}

}  // namespace

absl::StatusOr<json> ParseBoundedJson(absl::string_view text,
                                      size_t max_bytes) {
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("larger than ", max_bytes, " bytes"));
  }
  bool too_deep = false;
  json::parser_callback_t limit_depth = [&too_deep](int depth,
                                                    json::parse_event_t event,
                                                    json&) {
    if ((event == json::parse_event_t::object_start ||
         event == json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json value = json::parse(text.begin(), text.end(), limit_depth,
                           /*allow_exceptions=*/false);
  if (too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat("nested deeper than ", kMaxJsonDepth, " levels"));
  }
  if (value.is_discarded()) return absl::InvalidArgumentError("not valid JSON");
  return value;
}

absl::StatusOr<JsonSchema> JsonSchema::Parse(absl::string_view schema_json) {
  json schema;
  if (IsBlank(schema_json)) {
    schema = json{{"type", "object"}};
  } else {
    absl::StatusOr<json> parsed = ParseBoundedJson(schema_json, kMaxSchemaBytes);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid parameters schema: ", parsed.status().message()));
    }
    schema = *std::move(parsed);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Node> root,
                   Compile(schema, "schema", /*depth=*/0));
  if (root->types != kObject) {
    return SchemaError("schema.type",
                       "the arguments schema must have \"type\": \"object\"");
  }
  return JsonSchema(std::shared_ptr<const Node>(std::move(root)),
                    schema.dump(-1, ' ', /*ensure_ascii=*/false,
                                json::error_handler_t::replace));
}

absl::Status JsonSchema::Check(absl::string_view arguments_json) const {
  if (IsBlank(arguments_json)) return CheckParsed(json::object());
  absl::StatusOr<json> arguments =
      ParseBoundedJson(arguments_json, kMaxArgumentsBytes);
  if (!arguments.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("arguments: ", arguments.status().message()));
  }
  return CheckParsed(*arguments);
}

absl::Status JsonSchema::CheckParsed(const json& arguments) const {
  return CheckValue(*root_, arguments, "arguments");
}

}  // namespace bastion::runs
