// What a bastion subcommand is (its words, help, flags, handler) and what
// its handler gets to work with (CommandContext). One file per command group
// registers its commands (commands.h).
#ifndef BASTION_TOOLS_CLI_COMMAND_H_
#define BASTION_TOOLS_CLI_COMMAND_H_

#include <functional>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock/clock.h"
#include "tools/cli/args.h"
#include "tools/cli/client.h"
#include "tools/cli/credentials.h"
#include "tools/cli/output.h"

namespace bastion::cli {

// What the process hands the command: streams, whether each is a terminal,
// the environment (read once in main), a clock, and a way to read a secret
// from the terminal without echo. A test fills it with string streams.
struct Terminal {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;
  bool out_is_tty = false;
  bool err_is_tty = false;
  bool in_is_tty = false;
  std::map<std::string, std::string> env;
  const Clock* clock = SystemClock::Get();
  // Shows `prompt` on the terminal and reads one line with echo off; only
  // called when in_is_tty.
  std::function<absl::StatusOr<std::string>(const std::string& prompt)>
      read_secret;
};

// Everything a handler needs. Not thread-safe; one per command run.
class CommandContext {
 public:
  CommandContext(const ParsedArgs& args, const ParsedArgs& global,
                 Terminal& terminal, Output& out)
      : args_(args), global_(global), terminal_(terminal), out_(out) {}

  // The command's own flags and positionals.
  const ParsedArgs& args() const { return args_; }
  // The global flags (--addr, --timeout, ...).
  const ParsedArgs& global() const { return global_; }
  Terminal& terminal() { return terminal_; }
  Output& out() { return out_; }
  const std::string& Env(const std::string& name) const;

  // The credential store in the configuration folder (--config-dir,
  // BASTION_CONFIG_DIR, XDG_CONFIG_HOME, HOME).
  absl::StatusOr<CredentialStore> Store() const;

  // The caller's credential: BASTION_TOKEN when set, else the stored one.
  absl::StatusOr<StoredCredential> Credential() const;

  // A client that sends `credential` (empty: none) to the resolved
  // endpoints, with --tls-* and --timeout.
  absl::StatusOr<Client> ClientWith(const std::string& credential) const;

  // ClientWith(Credential()).
  absl::StatusOr<Client> Connect() const;

 private:
  const ParsedArgs& args_;
  const ParsedArgs& global_;
  Terminal& terminal_;
  Output& out_;
};

using Handler = std::function<absl::Status(CommandContext&)>;

struct Command {
  std::vector<std::string> path;  // e.g. {"sessions", "list"}
  std::string summary;            // one line, for the command list
  std::string description;        // more, for --help; may be empty
  std::vector<PositionalSpec> positionals;
  std::vector<FlagSpec> flags;
  Handler run;
};

// A first word with subcommands (e.g. "sessions").
struct CommandGroup {
  std::string name;
  std::string summary;
};

// Every command, in help order. Built once; commands.h adds the groups.
struct CommandTable {
  std::vector<CommandGroup> groups;
  std::vector<Command> commands;
};

}  // namespace bastion::cli

#endif  // BASTION_TOOLS_CLI_COMMAND_H_
