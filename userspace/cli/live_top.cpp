#include "cli/live_top.h"

#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "render/top.h"
#include "render/value_text.h"

namespace stprof {
namespace {

constexpr char kEnter[] = "\033[?1049h\033[?25l\033[H\033[2J";  // alternate screen, hide cursor
constexpr char kLeave[] = "\033[?25h\033[?1049l";               // show cursor, main screen

// Terminal state shared with the signal handlers (only async-signal-safe calls there).
struct termios g_saved;
volatile sig_atomic_t g_active = 0;  // alternate screen entered (and raw mode, when g_raw)
volatile sig_atomic_t g_raw = 0;

void write_all(const char* text, size_t length) {
  while (length > 0) {
    ssize_t n = ::write(STDOUT_FILENO, text, length);
    if (n <= 0) return;
    text += n;
    length -= static_cast<size_t>(n);
  }
}

void enter_terminal() {
  if (g_raw) {
    struct termios raw = g_saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // keys one by one, unechoed; ISIG kept
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  write_all(kEnter, sizeof(kEnter) - 1);
  g_active = 1;
}

void leave_terminal() {
  if (!g_active) return;
  g_active = 0;
  write_all(kLeave, sizeof(kLeave) - 1);
  if (g_raw) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
}

void on_fatal_signal(int sig) {
  leave_terminal();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void on_suspend(int) {
  int saved_errno = errno;
  leave_terminal();
  ::signal(SIGTSTP, SIG_DFL);
  sigset_t tstp;  // blocked while this handler runs: unblock it, or raise() only makes it pending
  sigemptyset(&tstp);
  sigaddset(&tstp, SIGTSTP);
  ::pthread_sigmask(SIG_UNBLOCK, &tstp, nullptr);
  ::raise(SIGTSTP);  // stops here until SIGCONT
  ::signal(SIGTSTP, on_suspend);
  enter_terminal();
  errno = saved_errno;
}

void window_size(size_t& rows, size_t& columns) {
  struct winsize size {};
  rows = 24;
  columns = 80;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 && size.ws_col > 0) {
    rows = size.ws_row;
    columns = size.ws_col;
  }
}

std::string header(const Profile& profile, const LiveStatus& status, bool terminal) {
  char text[256];
  std::snprintf(text, sizeof(text), "stprof-bpf top: %.0f s, %s, %zu process(es) at %d Hz%s",
                status.elapsed_seconds, amount_text(profile.mode, profile.total_value()).c_str(),
                status.processes, status.frequency_hz, terminal ? "; q quits" : "");
  return text;
}

}  // namespace

LiveTop::LiveTop(const ViewOptions& view, std::atomic<bool>& quit)
    : view_(view),
      quit_(quit),
      terminal_(::isatty(STDOUT_FILENO) == 1),
      keys_(terminal_ && ::isatty(STDIN_FILENO) == 1) {}

LiveTop::~LiveTop() { finish(); }

void LiveTop::start() {
  if (!terminal_) return;
  if (keys_ && ::tcgetattr(STDIN_FILENO, &g_saved) == 0) g_raw = 1;
  struct sigaction fatal {};
  fatal.sa_handler = on_fatal_signal;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(sig, &fatal, nullptr);
  struct sigaction suspend {};
  suspend.sa_handler = on_suspend;
  ::sigaction(SIGTSTP, &suspend, nullptr);
  enter_terminal();
  std::string waiting = "stprof-bpf top: waiting for the first samples; q quits\r\n";
  write_all(waiting.data(), waiting.size());
  if (g_raw) reader_ = std::thread([this] { read_keys(); });
}

void LiveTop::read_keys() {
  while (!done_.load()) {
    struct pollfd input {
      STDIN_FILENO, POLLIN, 0
    };
    if (::poll(&input, 1, 100) <= 0) continue;
    char key = 0;
    if (::read(STDIN_FILENO, &key, 1) != 1) {
      if (input.revents & (POLLHUP | POLLERR)) return;
      continue;
    }
    if (key == 'q' || key == 'Q') quit_.store(true);
  }
}

void LiveTop::refresh(const Profile& profile, const LiveStatus& status) {
  Profile view = make_view(profile, view_);
  std::vector<TopRow> rows = top_rows(view);
  uint64_t all = view.total_value();
  std::string screen;
  if (terminal_) {
    size_t height = 0, width = 0;
    window_size(height, width);
    std::vector<std::string> table =
        top_table(rows, all, view.mode, height > 3 ? height - 3 : 0, width);
    screen = "\033[H\033[1m" + header(view, status, true) + "\033[0m\033[K\r\n\033[K\r\n";
    for (size_t i = 0; i < table.size(); i++) {
      screen += (i == 0 ? "\033[7m" : "") + table[i] + (i == 0 ? "\033[0m" : "") + "\033[K";
      if (i + 1 < table.size()) screen += "\r\n";
    }
    screen += "\033[J";
  } else {
    screen = header(view, status, false) + "\n";
    for (const std::string& line : top_table(rows, all, view.mode, 20, 160)) screen += line + "\n";
    screen += "\n";
  }
  write_all(screen.data(), screen.size());
}

void LiveTop::finish() {
  done_.store(true);
  if (reader_.joinable()) reader_.join();
  leave_terminal();
  g_raw = 0;
}

}  // namespace stprof
