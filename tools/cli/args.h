// The bastion command's argument parser: flags declared per command (so
// help is generated from the same declarations and unknown flags are
// refused), `--name value` and `--name=value` forms, switches, repeatable
// flags, required positionals, and `--` to end the flags.
#ifndef BASTION_TOOLS_CLI_ARGS_H_
#define BASTION_TOOLS_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace bastion::cli {

enum class FlagKind {
  kSwitch,    // --name (no value)
  kValue,     // --name VALUE, at most once
  kRepeated,  // --name VALUE, any number of times, in order
};

struct FlagSpec {
  std::string name;  // without dashes, e.g. "limit"
  FlagKind kind = FlagKind::kSwitch;
  std::string value_name;  // shown in help, e.g. "N"
  std::string help;
};

// A positional argument; optional ones come after the required ones.
struct PositionalSpec {
  std::string name;  // shown in help, e.g. "SESSION_ID"
  std::string help;
  bool optional = false;
};

// The result of parsing. Switches and values only for declared names.
class ParsedArgs {
 public:
  bool Switch(const std::string& name) const;
  std::optional<std::string> Value(const std::string& name) const;
  // Every value of a repeated flag, in command-line order.
  std::vector<std::string> Values(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Filled by the parsers.
  void AddValue(const std::string& name, std::string value);
  void SetSwitch(const std::string& name);
  void AddPositional(std::string value);

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> switches_;
  std::vector<std::string> positionals_;
};

// Parses `tokens` (the words after the command's name) against its flags and
// positionals. A usage error (exit code 2) names the offending word: an
// unknown flag, a value flag without a value or given twice, a value for a
// switch, a missing required or a surplus positional.
absl::StatusOr<ParsedArgs> ParseArgs(
    absl::Span<const std::string> tokens, absl::Span<const FlagSpec> flags,
    absl::Span<const PositionalSpec> positionals);

// Global flags may stand anywhere before `--`. SplitGlobalFlags takes them
// out of the command line and returns them apart from the rest (command
// words, the command's own flags, positionals). Usage errors as ParseArgs.
struct GlobalSplit {
  ParsedArgs global;
  std::vector<std::string> rest;
};
absl::StatusOr<GlobalSplit> SplitGlobalFlags(
    absl::Span<const std::string> tokens,
    absl::Span<const FlagSpec> global_flags);

// True when `--help` or `-h` appears before any `--`.
bool AsksForHelp(absl::Span<const std::string> tokens);

// Helpers for typed flag values; each returns a usage error naming the flag.
absl::StatusOr<int> ParseIntFlag(const std::string& flag,
                                 const std::string& value, int min, int max);
// "90s", "15m", "24h", "90d" or a combination absl understands ("1h30m").
absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag,
                                                 const std::string& value);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_ARGS_H_
