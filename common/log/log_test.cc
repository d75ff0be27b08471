// Tests that log lines stay one valid JSON object per line.
#include "common/log/log.h"

#include "gtest/gtest.h"

namespace bastion {
namespace {

TEST(LogTest, FormatsOneJsonLine) {
  EXPECT_EQ(FormatLogLine("2026-01-01T00:00:00.000Z", LogLevel::kWarning,
                          "authn", "token_rejected", {{"reason", "expired"}}),
            "{\"ts\":\"2026-01-01T00:00:00.000Z\",\"level\":\"warning\","
            "\"svc\":\"authn\",\"event\":\"token_rejected\","
            "\"reason\":\"expired\"}\n");
}

TEST(LogTest, HostileValuesCannotBreakTheLine) {
  const std::string line =
      FormatLogLine("t", LogLevel::kInfo, "s", "e",
                    {{"kid", "a\"b\nc\\d\x01"}});
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("a\\\"b\\nc\\\\d\\u0001"), std::string::npos);
}

}  // namespace
}  // namespace bastion
