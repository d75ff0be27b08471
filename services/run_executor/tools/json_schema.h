// The JSON Schema subset with which tool arguments are checked before a tool
// runs: whatever the model produced, a tool only ever sees arguments of the
// shape its schema declares.
#ifndef BASTION_SERVICES_RUN_EXECUTOR_TOOLS_JSON_SCHEMA_H_
#define BASTION_SERVICES_RUN_EXECUTOR_TOOLS_JSON_SCHEMA_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace bastion::runs {

// Bounds of any JSON the tools layer parses (schemas and arguments).
inline constexpr size_t kMaxSchemaBytes = 64 * 1024;
inline constexpr size_t kMaxArgumentsBytes = 256 * 1024;
inline constexpr int kMaxJsonDepth = 32;

// Parses `text` as one JSON value of at most `max_bytes` bytes nested at
// most kMaxJsonDepth deep (arrays and objects). INVALID_ARGUMENT saying
// which bound was broken, or that the text is not JSON (never the parser's
// own message, which may quote the input).
absl::StatusOr<nlohmann::json> ParseBoundedJson(absl::string_view text,
                                                size_t max_bytes);

// A compiled schema. Immutable and thread-safe; cheap to copy.
//
// Keywords checked (anything else, e.g. description, title, format, $ref,
// anyOf, is ignored):
//   type                  one name or a non-empty array of distinct names
//                         among object, array, string, number, integer,
//                         boolean, null ("integer" accepts 2.0, not 2.5)
//   properties            object of schemas, checked for present keys
//   required              array of distinct strings: keys that must be
//                         present
//   additionalProperties  false (no other keys), true, or a schema for the
//                         other keys
//   items                 one schema for every element (the tuple form is
//                         refused at load)
//   enum                  non-empty array: the value must equal one entry
//   minLength, maxLength  string length in code points
//   minimum, maximum      numbers
//   minItems, maxItems    array lengths
// A keyword whose value has the wrong form (e.g. "required": "name") makes
// the schema invalid at load rather than being silently skipped. The top
// level must be {"type": "object", ...}: tool arguments are an object.
class JsonSchema {
 public:
  // Compiles a schema given as JSON text; empty text means
  // {"type": "object"} (any object). INVALID_ARGUMENT naming the schema
  // path of the first problem.
  static absl::StatusOr<JsonSchema> Parse(absl::string_view schema_json);

  // Checks arguments given as JSON text (at most kMaxArgumentsBytes; empty
  // or all-blank text means {}). OK, or INVALID_ARGUMENT whose message names
  // the argument path and what was expected, e.g.
  // "arguments.order.id: expected string, got number". The message is
  // meant for the model and never quotes argument values.
  absl::Status Check(absl::string_view arguments_json) const;
  // The same for arguments already parsed (with ParseBoundedJson).
  absl::Status CheckParsed(const nlohmann::json& arguments) const;

  // The schema as compact JSON text (what the model is shown).
  const std::string& text() const { return text_; }

  struct Node;

 private:
  JsonSchema(std::shared_ptr<const Node> root, std::string text)
      : root_(std::move(root)), text_(std::move(text)) {}

  std::shared_ptr<const Node> root_;
  std::string text_;
};

}  // namespace bastion::runs

#endif  // BASTION_SERVICES_RUN_EXECUTOR_TOOLS_JSON_SCHEMA_H_
