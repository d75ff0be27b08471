#include "tools/cli/args.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

const FlagSpec* FindFlag(absl::Span<const FlagSpec> flags,
                         absl::string_view name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

bool LooksLikeLongFlag(const std::string& token) {
  return token.size() > 2 && absl::StartsWith(token, "--");
}

// Reads one `--name[=value]` token at tokens[*i] whose spec is `flag`,
// taking the value from the next token when there is no '='. Advances *i
// past what it consumed.
absl::Status TakeFlag(absl::Span<const std::string> tokens, size_t* i,
                      const FlagSpec& flag, ParsedArgs* into) {
  const std::string& token = tokens[*i];
  const size_t equals = token.find('=');
  std::optional<std::string> value;
  if (equals != std::string::npos) value = token.substr(equals + 1);
  ++*i;
  if (flag.kind == FlagKind::kSwitch) {
    if (value.has_value()) {
      return UsageError(absl::StrCat("--", flag.name, " takes no value"));
    }
    into->SetSwitch(flag.name);
    return absl::OkStatus();
  }
  if (!value.has_value()) {
    if (*i >= tokens.size()) {
      return UsageError(absl::StrCat("--", flag.name, " needs a value (",
                                     flag.value_name, ")"));
    }
    value = tokens[(*i)++];
  }
  if (flag.kind == FlagKind::kValue && into->Value(flag.name).has_value()) {
    return UsageError(absl::StrCat("--", flag.name, " given more than once"));
  }
  into->AddValue(flag.name, std::move(*value));
  return absl::OkStatus();
}

std::string FlagName(const std::string& token) {
  return token.substr(2, token.find('=') - 2);
}

}  // namespace

bool ParsedArgs::Switch(const std::string& name) const {
  return switches_.count(name) > 0;
}

std::optional<std::string> ParsedArgs::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

std::vector<std::string> ParsedArgs::Values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

void ParsedArgs::AddValue(const std::string& name, std::string value) {
  values_[name].push_back(std::move(value));
}

void ParsedArgs::SetSwitch(const std::string& name) { switches_.insert(name); }

void ParsedArgs::AddPositional(std::string value) {
  positionals_.push_back(std::move(value));
}

absl::StatusOr<ParsedArgs> ParseArgs(
    absl::Span<const std::string> tokens, absl::Span<const FlagSpec> flags,
    absl::Span<const PositionalSpec> positionals) {
  ParsedArgs parsed;
  bool flags_ended = false;
  for (size_t i = 0; i < tokens.size();) {
    const std::string& token = tokens[i];
    if (!flags_ended && token == "--") {
      flags_ended = true;
      ++i;
      continue;
    }
    if (!flags_ended && LooksLikeLongFlag(token)) {
      const FlagSpec* flag = FindFlag(flags, FlagName(token));
      if (flag == nullptr) {
        return UsageError(absl::StrCat("unknown flag --", FlagName(token)));
      }
      absl::Status taken = TakeFlag(tokens, &i, *flag, &parsed);
      if (!taken.ok()) return taken;
      continue;
    }
    if (!flags_ended && token.size() > 1 && token[0] == '-') {
      return UsageError(absl::StrCat("unknown flag ", token));
    }
    parsed.AddPositional(token);
    ++i;
  }
  const size_t given = parsed.positionals().size();
  if (given < positionals.size() && !positionals[given].optional) {
    return UsageError(absl::StrCat("missing ", positionals[given].name));
  }
  if (given > positionals.size()) {
    return UsageError(absl::StrCat("unexpected argument '",
                                   parsed.positionals()[positionals.size()],
                                   "'"));
  }
  return parsed;
}

absl::StatusOr<GlobalSplit> SplitGlobalFlags(
    absl::Span<const std::string> tokens,
    absl::Span<const FlagSpec> global_flags) {
  GlobalSplit split;
  for (size_t i = 0; i < tokens.size();) {
    const std::string& token = tokens[i];
    if (token == "--") {
      split.rest.insert(split.rest.end(), tokens.begin() + i, tokens.end());
      break;
    }
    const FlagSpec* flag = LooksLikeLongFlag(token)
                               ? FindFlag(global_flags, FlagName(token))
                               : nullptr;
    if (flag == nullptr) {
      split.rest.push_back(token);
      ++i;
      continue;
    }
    absl::Status taken = TakeFlag(tokens, &i, *flag, &split.global);
    if (!taken.ok()) return taken;
  }
  return split;
}

bool AsksForHelp(absl::Span<const std::string> tokens) {
  for (const std::string& token : tokens) {
    if (token == "--") return false;
    if (token == "--help" || token == "-h") return true;
  }
  return false;
}

absl::StatusOr<int> ParseIntFlag(const std::string& flag,
                                 const std::string& value, int min, int max) {
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    return UsageError(absl::StrCat("--", flag, " must be a whole number from ",
                                   min, " to ", max, ", not '", value, "'"));
  }
  return parsed;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag,
                                                 const std::string& value) {
  absl::Duration duration;
  bool ok = false;
  if (absl::EndsWith(value, "d")) {
    int days = 0;
    ok = absl::SimpleAtoi(absl::string_view(value).substr(0, value.size() - 1),
                          &days) &&
         days >= 0 && days <= 3660;
    duration = absl::Hours(24) * days;
  } else {
    ok = absl::ParseDuration(value, &duration);
  }
  if (!ok || duration < absl::ZeroDuration() ||
      duration == absl::InfiniteDuration()) {
    return UsageError(absl::StrCat(
        "--", flag, " must be a duration like 90s, 15m, 24h or 30d, not '",
        value, "'"));
  }
  return duration;
}

}  // namespace bastion::cli
