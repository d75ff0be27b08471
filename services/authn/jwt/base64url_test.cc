// Strict base64url: one accepted encoding per byte string.
#include "services/authn/jwt/base64url.h"

#include <string>

#include "gtest/gtest.h"

namespace bastion::authn::jwt {
namespace {

TEST(Base64UrlTest, RoundTripsAllLengths) {
  std::string data;
  for (int i = 0; i < 70; ++i) {
    std::string decoded;
    const std::string encoded = Base64UrlEncode(data);
    ASSERT_TRUE(Base64UrlDecode(encoded, &decoded)) << encoded;
    EXPECT_EQ(decoded, data);
    data.push_back(static_cast<char>(i * 37 + 250));
  }
}

TEST(Base64UrlTest, KnownVectorsUseUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  std::string out;
  ASSERT_TRUE(Base64UrlDecode("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
}

TEST(Base64UrlTest, RejectsStandardAlphabetPaddingAndWhitespace) {
  std::string out;
  for (const char* bad : {"+_8", "-/8", "YQ==", "YQ=", "YW Jj", "YWJj\n",
                          " YWJj", "YW\tJj", "YWJ%", "YWJj.", "YW\0J"}) {
    EXPECT_FALSE(Base64UrlDecode(bad, &out)) << bad;
  }
  EXPECT_FALSE(Base64UrlDecode(std::string("YW\0J", 4), &out));
}

TEST(Base64UrlTest, RejectsLengthOneModFour) {
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("Y", &out));
  EXPECT_FALSE(Base64UrlDecode("YWJjZ", &out));
}

TEST(Base64UrlTest, RejectsNonZeroTrailingBits) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecode("YQ", &out));   // "a"
  EXPECT_FALSE(Base64UrlDecode("YR", &out));  // same byte, stray bits
  EXPECT_FALSE(Base64UrlDecode("YX", &out));
  EXPECT_TRUE(Base64UrlDecode("YWI", &out));  // "ab"
  EXPECT_FALSE(Base64UrlDecode("YWJ", &out));
  EXPECT_FALSE(Base64UrlDecode("YWL", &out));
}

TEST(Base64UrlTest, EmptyIsEmpty) {
  std::string out = "x";
  EXPECT_TRUE(Base64UrlDecode("", &out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace bastion::authn::jwt
