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
  int in = open("/dev/tty", O_RDWR | O_CLOEXEC);
  int out = in;
  const bool own = in >= 0;
  if (!own && isatty(STDIN_FILENO) == 1) {
    in = STDIN_FILENO;
    out = STDERR_FILENO;
  }
  if (in < 0)
    return absl::FailedPreconditionError(
        "no terminal to read the credential from");
  const auto release = [&] {
    if (own) close(in);
  };
  struct termios saved {};
  if (tcgetattr(in, &saved) != 0) {
    release();
    return absl::FailedPreconditionError("cannot read the terminal's settings");
  }
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  g_tty = in;
  g_saved = saved;
  auto previous_int = ::signal(SIGINT, RestoreAndExit);
  auto previous_term = ::signal(SIGTERM, RestoreAndExit);
  const auto restore = [&] {
    tcsetattr(in, TCSAFLUSH, &saved);
    ::signal(SIGINT, previous_int);
    ::signal(SIGTERM, previous_term);
    g_tty = -1;
    release();
  };
  // Echo goes off before the prompt shows, so nothing typed in answer to
  // the prompt can be echoed.
  if (tcsetattr(in, TCSAFLUSH, &quiet) != 0 ||
      write(out, prompt.data(), prompt.size()) < 0) {
    restore();
    return absl::FailedPreconditionError("cannot turn the terminal's echo off");
  }
  std::string line;
  bool too_long = false;
  char c = 0;
  while (true) {
    const ssize_t got = read(in, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || c == '\n' || c == '\r') break;
    if (line.size() >= kMaxSecretBytes) {
      too_long = true;
      continue;
    }
    line.push_back(c);
  }
  restore();
  if (too_long) return absl::InvalidArgumentError("the credential is too long");
  return line;
}

}  // namespace bastion::cli
