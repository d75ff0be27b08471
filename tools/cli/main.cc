// bastion: the command-line client of the Bastion suite. Wires the process
// (arguments, environment, standard streams, terminal) into RunCli.
#include <unistd.h>

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "tools/cli/cli.h"
#include "tools/cli/tty.h"

extern char** environ;

int main(int argc, char** argv) {
  bastion::cli::Terminal terminal;
  terminal.out = &std::cout;
  terminal.err = &std::cerr;
  terminal.in = &std::cin;
  terminal.out_is_tty = bastion::cli::IsTerminal(STDOUT_FILENO);
  terminal.err_is_tty = bastion::cli::IsTerminal(STDERR_FILENO);
  terminal.in_is_tty = bastion::cli::IsTerminal(STDIN_FILENO);
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string pair(*entry);
    const size_t equals = pair.find('=');
    if (equals != std::string::npos)
      terminal.env[pair.substr(0, equals)] = pair.substr(equals + 1);
  }
  terminal.read_secret = bastion::cli::ReadSecretLine;
  return bastion::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc),
                              terminal);
}
