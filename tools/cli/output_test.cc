// Output for people and scripts: terminal-safe text, widths, tables, field
// blocks, colour gating and the JSON form.
#include "tools/cli/output.h"

#include <sstream>

#include "bastion/data/v1/data.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bastion::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PrintableTest, EscapesEverythingThatCouldDriveTheTerminal) {
  EXPECT_EQ(Printable("plain text"), "plain text");
  EXPECT_EQ(Printable("\x1b[2Jgone"), "\\x1b[2Jgone");
  EXPECT_EQ(Printable("bell\a del\x7f"), "bell\\x07 del\\x7f");
  EXPECT_EQ(Printable("a\tb\nc\rd"), "a\\tb\\nc\\x0dd");
  EXPECT_EQ(Printable("csi\xc2\x9b"
                      "31m"),
            "csi\\u009b31m");  // C1 CSI
  EXPECT_EQ(Printable("evil\xe2\x80\xae"
                      "txt.exe"),
            "evil\\u202etxt.exe");                          // RLO
  EXPECT_EQ(Printable("iso\xe2\x81\xa6x"), "iso\\u2066x");  // LRI
}

TEST(PrintableTest, KeepsValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(Printable("café ✓ 🙂"), "café ✓ 🙂");
  EXPECT_EQ(Printable("bad\xff"), "bad\\xff");
  EXPECT_EQ(Printable("cut\xe2\x9c"), "cut\\xe2\\x9c");
  EXPECT_EQ(Printable("overlong\xc0\xaf"), "overlong\\xc0\\xaf");
  EXPECT_EQ(Printable("surrogate\xed\xa0\x80"), "surrogate\\xed\\xa0\\x80");
}

TEST(PrintableTest, KeepsNewlinesOnlyWhenAsked) {
  EXPECT_EQ(Printable("one\ntwo", /*keep_newlines=*/true), "one\ntwo");
  EXPECT_EQ(Printable("one\ntwo", /*keep_newlines=*/false), "one\\ntwo");
}

TEST(WidthTest, CountsCodePointsAndTruncatesOnTheirBoundaries) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("café"), 4u);
  EXPECT_EQ(Truncate("abcdef", 6), "abcdef");
  EXPECT_EQ(Truncate("abcdefg", 6), "abcde…");
  EXPECT_EQ(Truncate("ééééééé", 4), "ééé…");
  EXPECT_EQ(DisplayWidth(Truncate("ééééééé", 4)), 4u);
}

TEST(ColourTest, OnlyOnATerminalWithoutNoColorOrDumbTermOrFlag) {
  EXPECT_TRUE(ColourAllowed(/*is_terminal=*/true, "", "xterm",
                            /*no_color_flag=*/false));
  EXPECT_FALSE(ColourAllowed(/*is_terminal=*/false, "", "xterm",
                             /*no_color_flag=*/false));
  EXPECT_FALSE(ColourAllowed(/*is_terminal=*/true, "1", "xterm",
                             /*no_color_flag=*/false));
  EXPECT_FALSE(
      ColourAllowed(/*is_terminal=*/true, "", "dumb", /*no_color_flag=*/false));
  EXPECT_FALSE(
      ColourAllowed(/*is_terminal=*/true, "", "xterm", /*no_color_flag=*/true));
}

TEST(ColourTest, PaintIsPlainWhenColourIsOff) {
  EXPECT_EQ(Style(false).Paint(Colour::kRed, "x"), "x");
  EXPECT_EQ(Style(true).Paint(Colour::kRed, "x"), "\x1b[31mx\x1b[0m");
  EXPECT_EQ(Style(true).Paint(Colour::kNone, "x"), "x");
}

TEST(TableTest, AlignsColumnsWithoutTrailingSpaces) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(false));
  out.Table({"ID", "NAME"}, {{"s-1", "first"}, {"session-22", "é"}});
  EXPECT_EQ(stream.str(),
            "ID          NAME\n"
            "s-1         first\n"
            "session-22  é\n");
}

TEST(TableTest, AnEmptyLastCellLeavesNoTrailingSpaces) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(false));
  out.Table({"ID", "DESCRIPTION"}, {{"duo", ""}, {"x", "text"}});
  EXPECT_EQ(stream.str(),
            "ID   DESCRIPTION\n"
            "duo\n"
            "x    text\n");
}

TEST(TableTest, PadsByVisibleTextWhenColoured) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(true));
  out.Table({"ID", "X"}, {{Cell("a", Colour::kCyan), "1"}});
  EXPECT_EQ(stream.str(),
            "\x1b[1mID\x1b[0m  \x1b[1mX\x1b[0m\n"
            "\x1b[36ma\x1b[0m   1\n");
}

TEST(TableTest, CellsAreMadePrintableAndCut) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(false));
  out.Table({"TEXT"}, {{"line1\nline2\x1b[31m"}}, /*max_cell_width=*/12);
  EXPECT_EQ(stream.str(), "TEXT\nline1\\nline…\n");
}

TEST(FieldsTest, AlignsValuesAndIndentsFurtherLines) {
  std::ostringstream stream;
  Output out(stream, /*json=*/false, Style(false));
  out.Fields({{"ID", "m-1"}, {"Text", "first\nsecond"}});
  EXPECT_EQ(stream.str(),
            "ID:    m-1\n"
            "Text:  first\n"
            "       second\n");
}

TEST(JsonTest, PrintsEveryFieldWithProtoJsonNames) {
  std::ostringstream stream;
  Output out(stream, /*json=*/true, Style(true));
  bastion::data::v1::Session session;
  session.set_session_id("s-1");
  session.set_created_at_unix_micros(5);
  ASSERT_TRUE(out.Json(session).ok());
  const std::string json = stream.str();
  EXPECT_THAT(json, HasSubstr("\"sessionId\": \"s-1\""));
  EXPECT_THAT(json, HasSubstr("\"name\": \"\""));  // defaults are printed too
  EXPECT_THAT(json, HasSubstr("\"createdAtUnixMicros\": \"5\""));
  EXPECT_THAT(json, Not(HasSubstr("\x1b")));
  EXPECT_EQ(json.back(), '\n');
}

TEST(TimeTest, FormatsInUtcAndZeroAsDash) {
  EXPECT_EQ(FormatUnixSeconds(0), "-");
  EXPECT_EQ(FormatUnixSeconds(86400), "1970-01-02 00:00:00 UTC");
  EXPECT_EQ(FormatUnixMicros(1'700'000'000'123'456), "2023-11-14 22:13:20 UTC");
  EXPECT_EQ(FormatNanos(999), "999ns");
  EXPECT_EQ(FormatNanos(850'000), "850µs");
  EXPECT_EQ(FormatNanos(2'500'000), "2.5ms");
  EXPECT_EQ(FormatNanos(120'000'000), "120ms");
  EXPECT_EQ(FormatNanos(3'400'000'000), "3.4s");
  EXPECT_EQ(FormatNanos(125'000'000'000), "2m05s");
  EXPECT_EQ(FormatNanos(-1), "-");
}

}  // namespace
}  // namespace bastion::cli
