// A small strict JSON (RFC 8259) parser for JOSE headers, JWT claims and
// JWKS documents. Stricter than RFC 8259 permits, on purpose: duplicate
// member names, nesting beyond a limit, invalid or overlong UTF-8, a BOM,
// lone surrogates in \u escapes and trailing bytes are all errors, so two
// parsers can never disagree about what a token says. Numbers are kept as
// their exact source text so callers can insist on integers.
#ifndef BASTION_SERVICES_AUTHN_JWT_JSON_H_
#define BASTION_SERVICES_AUTHN_JWT_JSON_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace bastion::authn::jwt {

struct JsonMember;

// An immutable parsed JSON value. Thread-compatible (read-only after parse).
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool bool_value() const { return bool_; }
  // The decoded string (kString) or the exact number text (kNumber).
  const std::string& string_value() const { return text_; }
  const std::string& number_text() const { return text_; }
  const std::vector<JsonValue>& array_items() const { return items_; }
  const std::vector<JsonMember>& object_members() const { return members_; }

  // The member named `key` of an object, or nullptr (also for non-objects).
  const JsonValue* Find(absl::string_view key) const;

  // For a number written as a plain integer (no fraction, no exponent, no
  // minus sign) in [0, 2^53]: its value. Otherwise nullopt.
  std::optional<int64_t> AsNonNegativeSafeInteger() const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> items_;
  std::vector<JsonMember> members_;
};

struct JsonMember {
  std::string name;
  JsonValue value;
};

struct JsonLimits {
  int max_depth = 16;  // Arrays/objects nested deeper than this are errors.
};

enum class JsonErrorKind {
  kNone,
  kSyntax,
  kDuplicateKey,
  kTooDeep,
  kBadUtf8,
  kBadEscape,
  kTrailingData,
};

struct JsonError {
  JsonErrorKind kind = JsonErrorKind::kNone;
  size_t offset = 0;
};

// Parses exactly one JSON text filling all of `text`. On failure returns
// nullopt and, if `error` is non-null, says why and where. Pure function.
std::optional<JsonValue> ParseJson(absl::string_view text, JsonError* error,
                                   JsonLimits limits = JsonLimits());

absl::string_view JsonErrorKindName(JsonErrorKind kind);

}  // namespace bastion::authn::jwt

#endif  // BASTION_SERVICES_AUTHN_JWT_JSON_H_
