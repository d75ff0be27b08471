// Strict JSON parser: RFC 8259 plus Bastion's extra rejections.
#include "services/authn/jwt/json.h"

#include <string>

#include "gtest/gtest.h"

namespace bastion::authn::jwt {
namespace {

JsonErrorKind ErrorOf(absl::string_view text, JsonLimits limits = {}) {
  JsonError error;
  std::optional<JsonValue> v = ParseJson(text, &error, limits);
  if (v.has_value()) return JsonErrorKind::kNone;
  return error.kind;
}

TEST(JsonTest, ParsesAllValueKinds) {
  JsonError error;
  std::optional<JsonValue> v = ParseJson(
      R"( {"s":"a\"b\\\/\n\u00e9\ud83d\ude00","n":-1.5e+3,"t":true,"f":false,)"
      R"("z":null,"a":[1,[],{}],"o":{"k":"v"}} )",
      &error);
  ASSERT_TRUE(v.has_value()) << JsonErrorKindName(error.kind) << error.offset;
  ASSERT_TRUE(v->is_object());
  EXPECT_EQ(v->Find("s")->string_value(), "a\"b\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v->Find("n")->number_text(), "-1.5e+3");
  EXPECT_TRUE(v->Find("t")->bool_value());
  EXPECT_FALSE(v->Find("f")->bool_value());
  EXPECT_TRUE(v->Find("z")->is_null());
  EXPECT_EQ(v->Find("a")->array_items().size(), 3u);
  EXPECT_EQ(v->Find("o")->Find("k")->string_value(), "v");
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonTest, AcceptsRawUtf8) {
  EXPECT_EQ(ErrorOf("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""),
            JsonErrorKind::kNone);
}

TEST(JsonTest, RejectsDuplicateKeys) {
  EXPECT_EQ(ErrorOf(R"({"a":1,"a":2})"), JsonErrorKind::kDuplicateKey);
  EXPECT_EQ(ErrorOf(R"({"x":{"a":1,"b":2,"a":3}})"),
            JsonErrorKind::kDuplicateKey);
  // Same name spelled with an escape is still a duplicate.
  EXPECT_EQ(ErrorOf(R"({"alg":1,"\u0061lg":2})"), JsonErrorKind::kDuplicateKey);
  // The sorted path for large objects.
  std::string big = "{";
  for (int i = 0; i < 40; ++i) big += "\"k" + std::to_string(i) + "\":1,";
  EXPECT_EQ(ErrorOf(big + "\"k0\":2}"), JsonErrorKind::kDuplicateKey);
  EXPECT_EQ(ErrorOf(big + "\"k40\":2}"), JsonErrorKind::kNone);
}

TEST(JsonTest, LimitsNestingDepth) {
  auto nested = [](int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  EXPECT_EQ(ErrorOf(nested(16)), JsonErrorKind::kNone);
  EXPECT_EQ(ErrorOf(nested(17)), JsonErrorKind::kTooDeep);
  EXPECT_EQ(ErrorOf(nested(100000)),
            JsonErrorKind::kTooDeep);  // No stack blowup.
  EXPECT_EQ(ErrorOf(nested(4), JsonLimits{3}), JsonErrorKind::kTooDeep);
  std::string objects;
  for (int i = 0; i < 17; ++i) objects += "{\"a\":";
  objects += "1" + std::string(17, '}');
  EXPECT_EQ(ErrorOf(objects), JsonErrorKind::kTooDeep);
}

TEST(JsonTest, RejectsBadUtf8) {
  EXPECT_EQ(ErrorOf("\"\xc0\xaf\""), JsonErrorKind::kBadUtf8);  // overlong '/'
  EXPECT_EQ(ErrorOf("\"\xe0\x80\xaf\""), JsonErrorKind::kBadUtf8);  // overlong
  EXPECT_EQ(ErrorOf("\"\xf0\x80\x80\xaf\""), JsonErrorKind::kBadUtf8);
  EXPECT_EQ(ErrorOf("\"\xed\xa0\x80\""), JsonErrorKind::kBadUtf8);  // surrogate
  EXPECT_EQ(ErrorOf("\"\xf4\x90\x80\x80\""),
            JsonErrorKind::kBadUtf8);  // >10FFFF
  EXPECT_EQ(ErrorOf("\"\x80\""), JsonErrorKind::kBadUtf8);
  EXPECT_EQ(ErrorOf("\"\xff\""), JsonErrorKind::kBadUtf8);
  EXPECT_EQ(ErrorOf("\"\xc3\""), JsonErrorKind::kBadUtf8);  // truncated
}

TEST(JsonTest, RejectsBomAndBytesOutsideStrings) {
  EXPECT_NE(ErrorOf("\xef\xbb\xbf{}"), JsonErrorKind::kNone);
  EXPECT_NE(ErrorOf("{}\xef\xbb\xbf"), JsonErrorKind::kNone);
}

TEST(JsonTest, RejectsLoneSurrogatesAndBadEscapes) {
  EXPECT_EQ(ErrorOf(R"("\ud800")"), JsonErrorKind::kBadEscape);
  EXPECT_EQ(ErrorOf(R"("\udc00")"), JsonErrorKind::kBadEscape);
  EXPECT_EQ(ErrorOf(R"("\ud800\u0041")"), JsonErrorKind::kBadEscape);
  EXPECT_EQ(ErrorOf(R"("\ud800x")"), JsonErrorKind::kBadEscape);
  EXPECT_EQ(ErrorOf(R"("\x41")"), JsonErrorKind::kBadEscape);
  EXPECT_EQ(ErrorOf(R"("\u12")"), JsonErrorKind::kBadEscape);
  EXPECT_EQ(ErrorOf(R"("\u12g4")"), JsonErrorKind::kBadEscape);
}

TEST(JsonTest, RejectsTrailingGarbage) {
  EXPECT_EQ(ErrorOf("{} x"), JsonErrorKind::kTrailingData);
  EXPECT_EQ(ErrorOf("{}{}"), JsonErrorKind::kTrailingData);
  EXPECT_EQ(ErrorOf(std::string("{}\0", 3)), JsonErrorKind::kTrailingData);
  EXPECT_EQ(ErrorOf("{} \n\t\r"), JsonErrorKind::kNone);
}

TEST(JsonTest, RejectsNonRfcSyntax) {
  for (const char* bad : {"",
                          " ",
                          "{",
                          "}",
                          "[1,]",
                          "{\"a\":1,}",
                          "{'a':1}",
                          "{a:1}",
                          "01",
                          "1.",
                          ".5",
                          "-",
                          "+1",
                          "1e",
                          "NaN",
                          "Infinity",
                          "-Infinity",
                          "tru",
                          "nul",
                          "\"unterminated",
                          "\"tab\there\"",
                          "[1 2]",
                          "{\"a\" 1}",
                          "/* c */ {}",
                          "0x10"}) {
    EXPECT_NE(ErrorOf(bad), JsonErrorKind::kNone) << bad;
  }
}

TEST(JsonTest, SafeIntegersOnly) {
  auto integer = [](absl::string_view text) {
    JsonError error;
    return ParseJson(text, &error)->AsNonNegativeSafeInteger();
  };
  EXPECT_EQ(integer("0"), 0);
  EXPECT_EQ(integer("1700000000"), 1700000000);
  EXPECT_EQ(integer("9007199254740992"), int64_t{1} << 53);
  EXPECT_FALSE(integer("9007199254740993").has_value());
  EXPECT_FALSE(integer("99999999999999999999999").has_value());
  EXPECT_FALSE(integer("-1").has_value());
  EXPECT_FALSE(integer("1.5").has_value());
  EXPECT_FALSE(integer("1.0").has_value());
  EXPECT_FALSE(integer("1e9").has_value());
  EXPECT_FALSE(integer("\"1\"").has_value());
  EXPECT_FALSE(integer("true").has_value());
}

}  // namespace
}  // namespace bastion::authn::jwt
