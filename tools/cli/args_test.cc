// The argument parser: flag forms, switches, repeated flags, positionals,
// `--`, global flags anywhere, and a usage error for every malformed line.
#include "tools/cli/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<FlagSpec> kFlags = {
    {"limit", FlagKind::kValue, "N", "page size"},
    {"all", FlagKind::kSwitch, "", "everything"},
    {"scope", FlagKind::kRepeated, "SCOPE", "a scope"},
};
const std::vector<PositionalSpec> kOneId = {{"ID", "the id"}};

absl::StatusOr<ParsedArgs> Parse(
    std::vector<std::string> tokens,
    const std::vector<PositionalSpec>& positionals = {}) {
  return ParseArgs(tokens, kFlags, positionals);
}

// The usage error's message, or "" when parsing succeeded or failed otherwise.
std::string UsageMessage(const absl::StatusOr<ParsedArgs>& parsed) {
  if (parsed.ok() || !IsUsageError(parsed.status())) return "";
  return std::string(parsed.status().message());
}

TEST(ParseArgsTest, ReadsValuesInBothFormsSwitchesAndRepeatedFlags) {
  absl::StatusOr<ParsedArgs> parsed =
      Parse({"--limit", "5", "--scope=a:read", "--all", "--scope", "b:write"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("limit"), "5");
  EXPECT_TRUE(parsed->Switch("all"));
  EXPECT_THAT(parsed->Values("scope"), ElementsAre("a:read", "b:write"));
  EXPECT_FALSE(parsed->Value("cursor").has_value());
  EXPECT_THAT(parsed->positionals(), IsEmpty());
}

TEST(ParseArgsTest, AValueMayBeEmptyOrLookLikeAFlagWhenGivenWithEquals) {
  absl::StatusOr<ParsedArgs> parsed = Parse({"--limit=", "--scope=--all"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("limit"), "");
  EXPECT_THAT(parsed->Values("scope"), ElementsAre("--all"));
  EXPECT_FALSE(parsed->Switch("all"));
}

TEST(ParseArgsTest, PositionalsMayStandBetweenFlags) {
  absl::StatusOr<ParsedArgs> parsed =
      Parse({"--all", "s-1", "--limit", "2"}, kOneId);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("s-1"));
}

TEST(ParseArgsTest, DoubleDashEndsTheFlags) {
  absl::StatusOr<ParsedArgs> parsed = Parse({"--all", "--", "--limit"}, kOneId);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("--limit"));
  EXPECT_FALSE(parsed->Value("limit").has_value());
}

TEST(ParseArgsTest, ASingleDashIsAPositional) {
  absl::StatusOr<ParsedArgs> parsed = Parse({"-"}, kOneId);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("-"));
}

TEST(ParseArgsTest, AnOptionalPositionalMayBeLeftOut) {
  const std::vector<PositionalSpec> id_and_input = {
      {"ID", "the id"}, {"INPUT", "the input", /*optional=*/true}};
  absl::StatusOr<ParsedArgs> parsed = Parse({"a-1"}, id_and_input);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("a-1"));
  parsed = Parse({"a-1", "hello there"}, id_and_input);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->positionals(), ElementsAre("a-1", "hello there"));
  EXPECT_THAT(UsageMessage(Parse({}, id_and_input)), HasSubstr("missing ID"));
  EXPECT_THAT(UsageMessage(Parse({"a", "b", "c"}, id_and_input)),
              HasSubstr("unexpected argument 'c'"));
}

TEST(ParseArgsTest, MalformedLinesAreUsageErrorsNamingTheProblem) {
  EXPECT_THAT(UsageMessage(Parse({"--lmit", "5"})),
              HasSubstr("unknown flag --lmit"));
  EXPECT_THAT(UsageMessage(Parse({"-x"})), HasSubstr("unknown flag -x"));
  EXPECT_THAT(UsageMessage(Parse({"--limit"})),
              HasSubstr("--limit needs a value (N)"));
  EXPECT_THAT(UsageMessage(Parse({"--limit", "1", "--limit=2"})),
              HasSubstr("--limit given more than once"));
  EXPECT_THAT(UsageMessage(Parse({"--all=yes"})),
              HasSubstr("--all takes no value"));
  EXPECT_THAT(UsageMessage(Parse({}, kOneId)), HasSubstr("missing ID"));
  EXPECT_THAT(UsageMessage(Parse({"a", "b"}, kOneId)),
              HasSubstr("unexpected argument 'b'"));
  EXPECT_THAT(UsageMessage(Parse({"stray"})),
              HasSubstr("unexpected argument 'stray'"));
}

TEST(SplitGlobalFlagsTest, TakesGlobalFlagsFromAnywhereBeforeDoubleDash) {
  const std::vector<FlagSpec> global = {{"json", FlagKind::kSwitch, "", ""},
                                        {"addr", FlagKind::kValue, "A", ""}};
  absl::StatusOr<GlobalSplit> split = SplitGlobalFlags(
      std::vector<std::string>{"--addr", "h:1", "sessions", "list", "--json",
                               "--limit", "3", "--", "--json"},
      global);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_TRUE(split->global.Switch("json"));
  EXPECT_EQ(split->global.Value("addr"), "h:1");
  EXPECT_THAT(split->rest,
              ElementsAre("sessions", "list", "--limit", "3", "--", "--json"));
}

TEST(SplitGlobalFlagsTest, AGlobalFlagTwiceOrWithoutItsValueIsAUsageError) {
  const std::vector<FlagSpec> global = {{"addr", FlagKind::kValue, "A", ""}};
  absl::StatusOr<GlobalSplit> twice = SplitGlobalFlags(
      std::vector<std::string>{"--addr=a:1", "--addr", "b:2"}, global);
  EXPECT_TRUE(IsUsageError(twice.status())) << twice.status();
  absl::StatusOr<GlobalSplit> bare = SplitGlobalFlags(
      std::vector<std::string>{"agents", "list", "--addr"}, global);
  EXPECT_TRUE(IsUsageError(bare.status())) << bare.status();
}

TEST(AsksForHelpTest, FindsHelpBeforeDoubleDashOnly) {
  EXPECT_TRUE(AsksForHelp(std::vector<std::string>{"list", "--help"}));
  EXPECT_TRUE(AsksForHelp(std::vector<std::string>{"-h"}));
  EXPECT_FALSE(AsksForHelp(std::vector<std::string>{"--", "--help"}));
  EXPECT_FALSE(AsksForHelp(std::vector<std::string>{"list"}));
}

TEST(TypedFlagsTest, IntegersMustBeWholeAndInRange) {
  EXPECT_EQ(*ParseIntFlag("limit", "20", 1, 1000), 20);
  for (const char* bad : {"0", "1001", "-3", "2.5", "ten", ""}) {
    absl::StatusOr<int> parsed = ParseIntFlag("limit", bad, 1, 1000);
    EXPECT_TRUE(IsUsageError(parsed.status())) << bad;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("--limit"))
        << bad;
  }
}

TEST(TypedFlagsTest, DurationsTakeAbseilFormsAndDays) {
  EXPECT_EQ(*ParseDurationFlag("ttl", "90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseDurationFlag("ttl", "1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseDurationFlag("ttl", "30d"), absl::Hours(24 * 30));
  for (const char* bad :
       {"", "soon", "-5s", "inf", "d", "-1d", "10", "99999d"}) {
    EXPECT_TRUE(IsUsageError(ParseDurationFlag("ttl", bad).status())) << bad;
  }
}

}  // namespace
}  // namespace bastion::cli
