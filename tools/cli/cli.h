// The bastion command line: global flags, the command table, help for every
// level, dispatch to a handler, and the error line and exit code of a
// failure. main.cc only wires the real process into RunCli.
#ifndef BASTION_TOOLS_CLI_CLI_H_
#define BASTION_TOOLS_CLI_CLI_H_

#include <string>
#include <vector>

#include "tools/cli/command.h"

namespace bastion::cli {

// Flags every command accepts, anywhere before `--`.
const std::vector<FlagSpec>& GlobalFlags();

// Every command (built once, by commands.h's Add* functions).
const CommandTable& Commands();

// Help texts (what --help prints at each level).
std::string TopHelp(const CommandTable& table);
std::string GroupHelp(const CommandTable& table, const CommandGroup& group);
std::string CommandHelp(const Command& command);

// Runs one command line (`args` without the program name) and returns the
// process's exit code (exit_codes.h).
int RunCli(const std::vector<std::string>& args, Terminal& terminal);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_CLI_H_
