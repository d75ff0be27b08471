// The run-executor's configuration has no way to switch its guard off:
// such a key refuses the configuration naming it, and no field or
// environment variable is one. The benchmark's unsecured side (bench/runs,
// --security=off) exists only in the benchmark build of main.cc.
#include <cctype>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bastion/runs/v1/runs_config.pb.h"
#include "common/config/config.h"
#include "gtest/gtest.h"

namespace bastion::runs {
namespace {

// Names a switch that turns security off would have.
const std::vector<std::string>& SwitchWords() {
  static const auto* words = new std::vector<std::string>{
      "secur", "guard", "rls", "unsafe", "bypass", "auth_off", "insecure"};
  return *words;
}

TEST(RunExecutorConfigTest, AKeyThatWouldTurnSecurityOffRefusesTheConfig) {
  for (const char* key :
       {"security", "unsecured", "insecure", "guard", "disableGuard",
        "rowSecurity", "row_security", "rls", "bypassRls", "benchUnsecured"}) {
    for (const char* value : {"false", "true", "\"off\""}) {
      v1::RunExecutorConfig config;
      const absl::Status status = ParseConfigJson(
          absl::StrCat("{\"dataAddress\": \"127.0.0.1:1\", \"", key, "\": ", value,
                       "}"),
          &config);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << key;
      EXPECT_TRUE(absl::StrContains(status.message(), key))
          << key << ": " << status.message();
    }
  }
}

TEST(RunExecutorConfigTest, NoFieldOrVariableIsASecuritySwitch) {
  const google::protobuf::Descriptor* descriptor =
      v1::RunExecutorConfig::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const std::string& name = descriptor->field(i)->name();
    for (const std::string& word : SwitchWords()) {
      EXPECT_FALSE(absl::StrContains(name, word)) << name;
    }
  }
  // Every variable the loader reads is a field's; set to "off", none of
  // them can be a switch.
  std::vector<std::string> asked;
  v1::RunExecutorConfig config;
  const absl::Status applied = ApplyEnvOverrides(
      "BASTION_",
      [&asked](absl::string_view name) -> std::optional<std::string> {
        asked.emplace_back(name);
        return std::nullopt;
      },
      &config);
  ASSERT_TRUE(applied.ok()) << applied;
  EXPECT_FALSE(asked.empty());
  for (const std::string& name : asked) {
    for (const std::string& word : SwitchWords()) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      EXPECT_FALSE(absl::StrContains(lower, word)) << name;
    }
  }
}

}  // namespace
}  // namespace bastion::runs
