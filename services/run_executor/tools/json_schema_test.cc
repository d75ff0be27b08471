// Tests the arguments schema checker: schemas refused at load, and
// arguments refused (or accepted) before a tool runs.
#include "services/run_executor/tools/json_schema.h"

#include <string>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

using ::bastion::testing::IsOk;
using ::bastion::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kOrderSchema[] = R"({
  "type": "object",
  "description": "ignored",
  "x-vendor": {"anything": [1, 2]},
  "properties": {
    "order_id": {"type": "string", "minLength": 2, "maxLength": 8},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 10},
    "price": {"type": "number"},
    "gift": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    "address": {
      "type": "object",
      "properties": {"city": {"type": "string"}},
      "required": ["city"]
    },
    "speed": {"enum": ["slow", "fast", 3]},
    "note": {"type": ["string", "null"]}
  },
  "required": ["order_id"]
})";

JsonSchema Orders() {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(kOrderSchema);
  EXPECT_THAT(schema, IsOk());
  return *schema;
}

TEST(JsonSchemaTest, AcceptsArgumentsOfTheDeclaredShape) {
  const JsonSchema schema = Orders();
  EXPECT_THAT(schema.Check(R"({"order_id": "A-1"})"), IsOk());
  EXPECT_THAT(schema.Check(R"({
      "order_id": "A-1", "quantity": 3, "price": 9.5, "gift": false,
      "tags": ["x", "y"], "address": {"city": "Lyon", "zip": "69001"},
      "speed": 3, "note": null, "unknown_key": {"is": "allowed"}})"),
              IsOk());
  // 2.0 is an integer in JSON Schema; an integer is a number.
  EXPECT_THAT(schema.Check(R"({"order_id": "A-1", "quantity": 2.0,
                               "price": 4})"),
              IsOk());
  EXPECT_THAT(schema.Check(R"({"order_id": "A-1", "note": "hi"})"), IsOk());
}

TEST(JsonSchemaTest, RefusesEachViolationNamingThePath) {
  const JsonSchema schema = Orders();
  struct Case {
    const char* arguments;
    const char* message;
  };
  const Case cases[] = {
      {R"({})", "arguments: missing required property \"order_id\""},
      {R"({"order_id": 7})", "arguments.order_id: expected string, got integer"},
      {R"({"order_id": "A"})", "arguments.order_id: shorter than 2"},
      {R"({"order_id": "A-123456789"})", "arguments.order_id: longer than 8"},
      {R"({"order_id": "A-1", "quantity": 2.5})",
       "arguments.quantity: expected integer, got number"},
      {R"({"order_id": "A-1", "quantity": "2"})",
       "arguments.quantity: expected integer, got string"},
      {R"({"order_id": "A-1", "quantity": 0})", "arguments.quantity: below"},
      {R"({"order_id": "A-1", "quantity": 11})", "arguments.quantity: above"},
      {R"({"order_id": "A-1", "price": "9.5"})",
       "arguments.price: expected number, got string"},
      {R"({"order_id": "A-1", "gift": "yes"})",
       "arguments.gift: expected boolean, got string"},
      {R"({"order_id": "A-1", "gift": 1})",
       "arguments.gift: expected boolean, got integer"},
      {R"({"order_id": "A-1", "tags": "x"})",
       "arguments.tags: expected array, got string"},
      {R"({"order_id": "A-1", "tags": ["x", 2]})",
       "arguments.tags[1]: expected string, got integer"},
      {R"({"order_id": "A-1", "tags": ["a", "b", "c"]})",
       "arguments.tags: more than 2 items"},
      {R"({"order_id": "A-1", "address": []})",
       "arguments.address: expected object, got array"},
      {R"({"order_id": "A-1", "address": {}})",
       "arguments.address: missing required property \"city\""},
      {R"({"order_id": "A-1", "address": {"city": null}})",
       "arguments.address.city: expected string, got null"},
      {R"({"order_id": "A-1", "speed": "warp"})",
       "arguments.speed: must be one of [\"slow\",\"fast\",3]"},
      {R"({"order_id": "A-1", "speed": "3"})", "arguments.speed: must be one"},
      {R"({"order_id": "A-1", "note": 5})",
       "arguments.note: expected string or null, got integer"},
  };
  for (const Case& c : cases) {
    absl::Status status = schema.Check(c.arguments);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.arguments;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message))
        << c.arguments;
  }
}

TEST(JsonSchemaTest, RefusesArgumentsThatAreNotAnObjectOrNotJson) {
  const JsonSchema schema = Orders();
  for (const char* arguments :
       {"[]", "\"text\"", "42", "null", "true", "{", "{'a': 1}",
        "{\"order_id\": \"A-1\"} trailing", "{\"a\": NaN}",
        "{\"order_id\": \"A-1\",}", "\xff\xfe", "{\"order_id\": \"\xc3\"}"}) {
    EXPECT_THAT(schema.Check(arguments),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << arguments;
  }
}

TEST(JsonSchemaTest, ErrorMessagesDoNotQuoteArgumentValues) {
  const JsonSchema schema = Orders();
  absl::Status status = schema.Check(R"({"order_id": 12345, "x": "secret"})");
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("12345")));
  status = schema.Check(R"({"order_id": "secret-value-too-long"})");
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(HasSubstr("secret")));
  status = schema.Check("{\"secret\": ");
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(HasSubstr("secret")));
}

TEST(JsonSchemaTest, EmptyArgumentsMeanAnEmptyObject) {
  absl::StatusOr<JsonSchema> any = JsonSchema::Parse(R"({"type": "object"})");
  ASSERT_THAT(any, IsOk());
  EXPECT_THAT(any->Check(""), IsOk());
  EXPECT_THAT(any->Check("  \n"), IsOk());
  EXPECT_THAT(Orders().Check(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonSchemaTest, EmptySchemaMeansAnyObject) {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse("");
  ASSERT_THAT(schema, IsOk());
  EXPECT_EQ(schema->text(), R"({"type":"object"})");
  EXPECT_THAT(schema->Check(R"({"anything": [1, {"b": null}]})"), IsOk());
  EXPECT_THAT(schema->Check("[1]"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonSchemaTest, AdditionalPropertiesFalseOrASchema) {
  absl::StatusOr<JsonSchema> closed = JsonSchema::Parse(
      R"({"type": "object", "properties": {"a": {"type": "string"}},
          "additionalProperties": false})");
  ASSERT_THAT(closed, IsOk());
  EXPECT_THAT(closed->Check(R"({"a": "x"})"), IsOk());
  absl::Status status = closed->Check(R"({"a": "x", "b": 1})");
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("unexpected property \"b\""));
  // A long hostile key is cut in the message.
  status = closed->Check("{\"" + std::string(5000, 'k') + "\": 1}");
  EXPECT_LT(status.message().size(), 200u);

  absl::StatusOr<JsonSchema> numbers = JsonSchema::Parse(
      R"({"type": "object", "additionalProperties": {"type": "number"}})");
  ASSERT_THAT(numbers, IsOk());
  EXPECT_THAT(numbers->Check(R"({"x": 1, "y": 2.5})"), IsOk());
  EXPECT_THAT(numbers->Check(R"({"x": "1"})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonSchemaTest, StringLengthCountsCharactersNotBytes) {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(
      R"({"type": "object", "properties": {"s": {"type": "string",
          "maxLength": 2}}})");
  ASSERT_THAT(schema, IsOk());
  EXPECT_THAT(schema->Check(R"({"s": "\u00e9\u00e9"})"), IsOk());
  EXPECT_THAT(schema->Check("{\"s\": \"\xc3\xa9\xc3\xa9\"}"), IsOk());
  EXPECT_THAT(schema->Check("{\"s\": \"\xc3\xa9\xc3\xa9\xc3\xa9\"}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonSchemaTest, BoundsArgumentSizeAndDepth) {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse("");
  ASSERT_THAT(schema, IsOk());
  const std::string big =
      "{\"a\": \"" + std::string(kMaxArgumentsBytes, 'x') + "\"}";
  absl::Status status = schema->Check(big);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("larger than"));

  // kMaxJsonDepth levels of containers are fine, one more is not.
  auto nested = [](int levels) {
    std::string text = "{\"a\": ";
    for (int i = 1; i < levels; ++i) text += "[";
    text += "1";
    for (int i = 1; i < levels; ++i) text += "]";
    return text + "}";
  };
  EXPECT_THAT(schema->Check(nested(kMaxJsonDepth)), IsOk());
  status = schema->Check(nested(kMaxJsonDepth + 1));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(status.message()), HasSubstr("nested deeper"));
  // A very deep document is refused, not a stack overflow.
  EXPECT_THAT(schema->Check(nested(100000)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonSchemaTest, RefusesInvalidSchemasAtLoad) {
  struct Case {
    const char* schema;
    const char* message;
  };
  const Case cases[] = {
      {"not json", "invalid parameters schema: not valid JSON"},
      {"[]", "schema: must be an object"},
      {R"({"properties": {}})", "schema.type"},
      {R"({"type": "array"})", "schema.type"},
      {R"({"type": ["object", "null"]})", "schema.type"},
      {R"({"type": "obj"})", "schema.type: unknown type"},
      {R"({"type": 5})", "schema.type"},
      {R"({"type": []})", "schema.type"},
      {R"({"type": ["string", "string"]})", "schema.type: names a type twice"},
      {R"({"type": "object", "properties": []})", "schema.properties"},
      {R"({"type": "object", "properties": {"a": "string"}})",
       "schema.properties.a: must be an object"},
      {R"({"type": "object", "properties": {"a": {"type": "text"}}})",
       "schema.properties.a.type: unknown type"},
      {R"({"type": "object", "required": "a"})", "schema.required"},
      {R"({"type": "object", "required": [1]})", "schema.required"},
      {R"({"type": "object", "required": ["a", "a"]})",
       "schema.required: names a key twice"},
      {R"({"type": "object", "additionalProperties": "no"})",
       "schema.additionalProperties"},
      {R"({"type": "object", "properties": {"a": {"items": [{}]}}})",
       "schema.properties.a.items: the tuple form"},
      {R"({"type": "object", "properties": {"a": {"items": 3}}})",
       "schema.properties.a.items"},
      {R"({"type": "object", "properties": {"a": {"enum": []}}})",
       "schema.properties.a.enum"},
      {R"({"type": "object", "properties": {"a": {"enum": "x"}}})",
       "schema.properties.a.enum"},
      {R"({"type": "object", "properties": {"a": {"maxLength": -1}}})",
       "schema.properties.a.maxLength"},
      {R"({"type": "object", "properties": {"a": {"minItems": 1.5}}})",
       "schema.properties.a.minItems"},
      {R"({"type": "object", "properties": {"a": {"minimum": "0"}}})",
       "schema.properties.a.minimum"},
      {R"({"type": "object", "properties": {"a": {"minimum": 5,
                                                  "maximum": 1}}})",
       "a minimum is above its maximum"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(c.schema);
    EXPECT_THAT(schema, StatusIs(absl::StatusCode::kInvalidArgument))
        << c.schema;
    EXPECT_THAT(std::string(schema.status().message()), HasSubstr(c.message))
        << c.schema;
  }
  EXPECT_THAT(JsonSchema::Parse(std::string(kMaxSchemaBytes + 1, ' ') + "{}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonSchemaTest, IgnoresUnknownKeywords) {
  absl::StatusOr<JsonSchema> schema = JsonSchema::Parse(
      R"({"type": "object", "$schema": "x", "title": 3,
          "properties": {"a": {"type": "string", "format": "email",
                               "pattern": "^x$", "anyOf": [{}]}}})");
  ASSERT_THAT(schema, IsOk());
  EXPECT_THAT(schema->Check(R"({"a": "not-an-email"})"), IsOk());
}

}  // namespace
}  // namespace bastion::runs
