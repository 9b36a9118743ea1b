// The live view (`stprof-bpf top`, `--live`): the hottest functions of every profiled process,
// redrawn after every drain (once a second), shares counted since the start (shares of samples,
// or of wall time in wall mode).
//
// When stdout is a terminal: the alternate screen, plain ANSI escapes (works over ssh, no
// curses), keys read raw from stdin (q quits); the terminal is restored on exit, on SIGINT,
// SIGTERM, SIGHUP and SIGQUIT (they end the run), across Ctrl-Z, and on a crash. Otherwise: one
// plain-text snapshot per second (a header line, the table, a blank line), nothing read.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

#include "collate/profile.h"
#include "render/profile_view.h"

namespace stprof {

struct LiveStatus {
  double elapsed_seconds = 0;
  size_t processes = 0;
  int frequency_hz = 0;
};

class LiveTop {
 public:
  // `quit` becomes true when the user presses q.
  LiveTop(const ViewOptions& view, std::atomic<bool>& quit);
  ~LiveTop();
  LiveTop(const LiveTop&) = delete;
  LiveTop& operator=(const LiveTop&) = delete;

  void start();
  void refresh(const Profile& profile, const LiveStatus& status);
  // Leaves the terminal as it was (also done by the destructor).
  void finish();

 private:
  void read_keys();

  ViewOptions view_;
  std::atomic<bool>& quit_;
  bool terminal_;
  bool keys_;
  std::atomic<bool> done_{false};
  std::thread reader_;
};

}  // namespace stprof
