// The command groups; each Add* function (one file each) appends its group
// and commands to the table that cli.cc builds once.
#ifndef BASTION_TOOLS_CLI_COMMANDS_H_
#define BASTION_TOOLS_CLI_COMMANDS_H_

#include "tools/cli/command.h"

namespace bastion::cli {

void AddLoginCommands(CommandTable* table);     // login, logout, whoami
void AddRegistryCommands(CommandTable* table);  // agents, teams, workflows
void AddSessionCommands(CommandTable* table);   // sessions
void AddMemoryCommands(CommandTable* table);    // memories
void AddTraceCommands(CommandTable* table);     // traces
void AddKeyCommands(CommandTable* table);       // keys (API keys)
void AddRunCommands(CommandTable* table);  // run, continue, cancel, runs
void AddApprovalCommands(CommandTable* table);  // approvals
void AddScheduleCommands(CommandTable* table);  // schedules

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_COMMANDS_H_
