// The real terminal behind the bastion command: whether a descriptor is a
// terminal, and reading a secret line from /dev/tty with echo off.
#ifndef BASTION_TOOLS_CLI_TTY_H_
#define BASTION_TOOLS_CLI_TTY_H_

#include <string>

#include "absl/status/statusor.h"

namespace bastion::cli {

bool IsTerminal(int fd);

// Writes `prompt` to the terminal, reads one line (at most 16 KiB) with echo
// off, restores the terminal's settings (also on Ctrl-C) and ends the
// prompt's line. The terminal is the controlling one (/dev/tty), or else a
// terminal on standard input (prompting on standard error).
// FAILED_PRECONDITION when there is neither.
absl::StatusOr<std::string> ReadSecretLine(const std::string& prompt);

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_TTY_H_
