#include "tools/cli/cli.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/cli/commands.h"
#include "tools/cli/exit_codes.h"

namespace bastion::cli {
namespace {

constexpr size_t kHelpColumn = 28;

std::string PathOf(const Command& command) {
  return absl::StrJoin(command.path, " ");
}

// "  name<padding>text", wrapping to the next line when the name is long.
std::string HelpRow(const std::string& name, const std::string& text) {
  std::string row = absl::StrCat("  ", name);
  if (row.size() + 2 > kHelpColumn) {
    absl::StrAppend(&row, "\n", std::string(kHelpColumn, ' '));
  } else {
    row.append(kHelpColumn - row.size(), ' ');
  }
  return absl::StrCat(row, text, "\n");
}

std::string FlagLabel(const FlagSpec& flag) {
  std::string label = absl::StrCat("--", flag.name);
  if (flag.kind != FlagKind::kSwitch)
    absl::StrAppend(&label, " ", flag.value_name);
  return label;
}

std::string FlagRows(const std::vector<FlagSpec>& flags) {
  std::string rows;
  for (const FlagSpec& flag : flags) {
    std::string text = flag.help;
    if (flag.kind == FlagKind::kRepeated)
      absl::StrAppend(&text, " (repeatable)");
    rows += HelpRow(FlagLabel(flag), text);
  }
  return rows;
}

std::string UsageLine(const Command& command) {
  std::string line = absl::StrCat("bastion ", PathOf(command));
  for (const PositionalSpec& positional : command.positionals) {
    absl::StrAppend(&line, " ",
                    positional.optional
                        ? absl::StrCat("[", positional.name, "]")
                        : positional.name);
  }
  if (!command.flags.empty()) absl::StrAppend(&line, " [flags]");
  return line;
}

const CommandGroup* FindGroup(const CommandTable& table,
                              const std::string& name) {
  for (const CommandGroup& group : table.groups) {
    if (group.name == name) return &group;
  }
  return nullptr;
}

// The command whose path the leading words of `words` spell, and how many
// words that took.
const Command* FindCommand(const CommandTable& table,
                           const std::vector<std::string>& words,
                           size_t* used) {
  for (const Command& command : table.commands) {
    if (command.path.size() <= words.size() &&
        std::equal(command.path.begin(), command.path.end(), words.begin())) {
      *used = command.path.size();
      return &command;
    }
  }
  return nullptr;
}

std::string EnvOf(const Terminal& terminal, const std::string& name) {
  auto it = terminal.env.find(name);
  return it == terminal.env.end() ? "" : it->second;
}

void PrintError(Terminal& terminal, bool json, bool no_color_flag,
                const absl::Status& status, const std::string& help_hint) {
  const int code = ExitCodeFor(status);
  if (json) {
    const nlohmann::json error = {
        {"error",
         {{"code", IsUsageError(status)
                       ? "USAGE"
                       : absl::StatusCodeToString(status.code())},
          {"message", std::string(status.message())},
          {"exit_code", code}}}};
    *terminal.err << error.dump(-1, ' ', false,
                                nlohmann::json::error_handler_t::replace)
                  << "\n";
    return;
  }
  const Style style(ColourAllowed(terminal.err_is_tty,
                                  EnvOf(terminal, "NO_COLOR"),
                                  EnvOf(terminal, "TERM"), no_color_flag));
  *terminal.err << style.Paint(Colour::kRed, "error:") << " "
                << Printable(status.message(), /*keep_newlines=*/true) << "\n";
  if (code == kExitUsage && !help_hint.empty()) {
    *terminal.err << "Run `" << help_hint << "` for usage.\n";
  }
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec>* const kFlags = new std::vector<FlagSpec>{
      {"json", FlagKind::kSwitch, "",
       "Print results as JSON (errors as JSON on stderr)"},
      {"no-color", FlagKind::kSwitch, "",
       "No colours (also: NO_COLOR=1; never in a pipe)"},
      {"addr", FlagKind::kValue, "HOST:PORT",
       "One address for every service (e.g. a gateway)"},
      {"authn-addr", FlagKind::kValue, "HOST:PORT", "authn's address"},
      {"data-addr", FlagKind::kValue, "HOST:PORT", "data's address"},
      {"runs-addr", FlagKind::kValue, "HOST:PORT", "run-executor's address"},
      {"tls-ca", FlagKind::kValue, "FILE",
       "Use TLS, trusting only this CA (PEM)"},
      {"tls-cert", FlagKind::kValue, "FILE",
       "Client certificate for mutual TLS (PEM)"},
      {"tls-key", FlagKind::kValue, "FILE", "Its private key (PEM)"},
      {"timeout", FlagKind::kValue, "DURATION",
       "Deadline of each call (default 30s)"},
      {"config-dir", FlagKind::kValue, "DIR", "Where the credential is stored"},
  };
  return *kFlags;
}

const CommandTable& Commands() {
  static const CommandTable* const kTable = [] {
    auto* table = new CommandTable();
    AddLoginCommands(table);
    AddRegistryCommands(table);
    AddSessionCommands(table);
    AddMemoryCommands(table);
    AddTraceCommands(table);
    AddKeyCommands(table);
    AddRunCommands(table);
    AddApprovalCommands(table);
    AddScheduleCommands(table);
    return table;
  }();
  return *kTable;
}

std::string TopHelp(const CommandTable& table) {
  std::string help =
      "bastion: the command-line client of the Bastion suite.\n\n"
      "Usage:\n  bastion [global flags] COMMAND [flags] "
      "[arguments]\n\nCommands:\n";
  for (const Command& command : table.commands) {
    help += HelpRow(PathOf(command), command.summary);
  }
  absl::StrAppend(&help, "\nGlobal flags (anywhere before `--`):\n",
                  FlagRows(GlobalFlags()),
                  HelpRow("--help, -h", "Help for bastion or any command"));
  absl::StrAppend(
      &help, "\nEnvironment:\n",
      HelpRow("BASTION_TOKEN",
              "A token or API key to use instead of the stored one"),
      HelpRow("BASTION_ADDR", "One address for every service"),
      HelpRow("BASTION_AUTHN_ADDR", "authn (default 127.0.0.1:BASE+1)"),
      HelpRow("BASTION_DATA_ADDR", "data (default 127.0.0.1:BASE+3)"),
      HelpRow("BASTION_RUNS_ADDR", "run-executor (default 127.0.0.1:BASE+4)"),
      HelpRow("BASTION_PORT_BASE", "BASE, as for tools/up.sh (default 7000)"),
      HelpRow("BASTION_CONFIG_DIR",
              "Where the credential is stored "
              "(default $XDG_CONFIG_HOME/bastion or ~/.config/bastion)"),
      HelpRow("NO_COLOR", "Set to anything to turn colours off"));
  absl::StrAppend(&help, "\nExit codes:\n");
  for (const ExitCodeDoc& row : ExitCodeTable()) {
    absl::StrAppend(&help,
                    absl::StrFormat("  %-4d%s\n", row.code, row.meaning));
  }
  absl::StrAppend(&help,
                  "\nRun `bastion COMMAND --help` for a command's flags.\n");
  return help;
}

std::string GroupHelp(const CommandTable& table, const CommandGroup& group) {
  std::string help = absl::StrCat(
      "bastion ", group.name, ": ", group.summary, "\n\nUsage:\n  bastion ",
      group.name, " COMMAND [flags] [arguments]\n\nCommands:\n");
  for (const Command& command : table.commands) {
    if (command.path.front() == group.name)
      help += HelpRow(PathOf(command), command.summary);
  }
  absl::StrAppend(
      &help, "\nRun `bastion ", group.name,
      " COMMAND --help` for a command's flags, `bastion --help` for the "
      "global flags and exit codes.\n");
  return help;
}

std::string CommandHelp(const Command& command) {
  std::string help =
      absl::StrCat(command.summary, "\n\nUsage:\n  ", UsageLine(command), "\n");
  if (!command.description.empty())
    absl::StrAppend(&help, "\n", command.description, "\n");
  if (!command.positionals.empty()) {
    absl::StrAppend(&help, "\nArguments:\n");
    for (const PositionalSpec& positional : command.positionals) {
      help += HelpRow(positional.name, positional.help);
    }
  }
  if (!command.flags.empty())
    absl::StrAppend(&help, "\nFlags:\n", FlagRows(command.flags));
  absl::StrAppend(&help,
                  "\nGlobal flags: --json, --no-color, --addr, --authn-addr, "
                  "--data-addr, --runs-addr, --tls-ca, --tls-cert, --tls-key, "
                  "--timeout, --config-dir (see `bastion --help`).\n");
  return help;
}

int RunCli(const std::vector<std::string>& args, Terminal& terminal) {
  const CommandTable& table = Commands();
  absl::StatusOr<GlobalSplit> split = SplitGlobalFlags(args, GlobalFlags());
  if (!split.ok()) {
    PrintError(terminal, /*json=*/false, /*no_color_flag=*/false,
               split.status(), "bastion --help");
    return kExitUsage;
  }
  const bool json = split->global.Switch("json");
  const bool no_color = split->global.Switch("no-color");
  const std::vector<std::string>& rest = split->rest;

  // `bastion help [COMMAND...]` is `bastion [COMMAND...] --help`.
  std::vector<std::string> words = rest;
  bool help = false;
  if (!words.empty() && words.front() == "help") {
    words.erase(words.begin());
    help = true;
  }
  help = help || AsksForHelp(words);
  if (words.empty() || words.front() == "--help" || words.front() == "-h") {
    if (help) {
      *terminal.out << TopHelp(table);
      return kExitOk;
    }
    *terminal.err
        << "Usage: bastion [global flags] COMMAND [flags] [arguments]\n"
           "Run `bastion --help` for the commands.\n";
    return kExitUsage;
  }

  size_t used = 0;
  const Command* command = FindCommand(table, words, &used);
  if (command == nullptr) {
    const CommandGroup* group = FindGroup(table, words.front());
    if (group == nullptr) {
      PrintError(
          terminal, json, no_color,
          UsageError(absl::StrCat("unknown command '", words.front(), "'")),
          "bastion --help");
      return kExitUsage;
    }
    const bool named =
        words.size() > 1 && words[1] != "--help" && words[1] != "-h";
    if (help && !named) {
      *terminal.out << GroupHelp(table, *group);
      return kExitOk;
    }
    const absl::Status error =
        named ? UsageError(absl::StrCat("unknown command '", group->name, " ",
                                        words[1], "'"))
              : UsageError(absl::StrCat("'", group->name, "' needs a command"));
    PrintError(terminal, json, no_color, error, "");
    *terminal.err << "\n" << GroupHelp(table, *group);
    return kExitUsage;
  }

  const std::vector<std::string> own(words.begin() + static_cast<long>(used),
                                     words.end());
  const std::string help_hint =
      absl::StrCat("bastion ", PathOf(*command), " --help");
  if (help) {
    *terminal.out << CommandHelp(*command);
    return kExitOk;
  }
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs(own, command->flags, command->positionals);
  if (!parsed.ok()) {
    PrintError(terminal, json, no_color, parsed.status(), help_hint);
    return kExitUsage;
  }
  const Style style(ColourAllowed(terminal.out_is_tty,
                                  EnvOf(terminal, "NO_COLOR"),
                                  EnvOf(terminal, "TERM"), no_color));
  Output out(*terminal.out, json, style);
  CommandContext context(*parsed, split->global, terminal, out);
  const absl::Status status = command->run(context);
  terminal.out->flush();
  // A run that ended other than completed was shown by its own events.
  if (!status.ok() && !IsRunEnded(status))
    PrintError(terminal, json, no_color, status, help_hint);
  return ExitCodeFor(status);
}

}  // namespace bastion::cli
