#include "tools/cli/tty.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace bastion::cli {
namespace {

constexpr size_t kMaxSecretBytes = 16 * 1024;

// The terminal to restore if the user presses Ctrl-C while echo is off.
int g_tty = -1;
struct termios g_saved;

void RestoreAndExit(int signal_number) {
  if (g_tty >= 0) tcsetattr(g_tty, TCSAFLUSH, &g_saved);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

bool IsTerminal(int fd) { return isatty(fd) == 1; }

absl::StatusOr<std::string> ReadSecretLine(const std::string& prompt) {
  const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return absl::FailedPreconditionError("no terminal to read the credential from");
  struct termios saved {};
  if (tcgetattr(tty, &saved) != 0) {
    close(tty);
    return absl::FailedPreconditionError("cannot read the terminal's settings");
  }
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  g_tty = tty;
  g_saved = saved;
  auto previous_int = ::signal(SIGINT, RestoreAndExit);
  auto previous_term = ::signal(SIGTERM, RestoreAndExit);
  if (write(tty, prompt.data(), prompt.size()) < 0 || tcsetattr(tty, TCSAFLUSH, &quiet) != 0) {
    ::signal(SIGINT, previous_int);
    ::signal(SIGTERM, previous_term);
    g_tty = -1;
    close(tty);
    return absl::FailedPreconditionError("cannot turn the terminal's echo off");
  }
  std::string line;
  bool too_long = false;
  char c = 0;
  while (true) {
    const ssize_t got = read(tty, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || c == '\n' || c == '\r') break;
    if (line.size() >= kMaxSecretBytes) {
      too_long = true;
      continue;
    }
    line.push_back(c);
  }
  tcsetattr(tty, TCSAFLUSH, &saved);
  ::signal(SIGINT, previous_int);
  ::signal(SIGTERM, previous_term);
  g_tty = -1;
  close(tty);
  if (too_long) return absl::InvalidArgumentError("the credential is too long");
  return line;
}

}  // namespace bastion::cli
