// One status line on stderr while recording (elapsed, samples, processes), redrawn in place with
// \r and cleared at the end; only when stderr is a terminal, so logs and pipes never see it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace stprof {

class StatusLine {
 public:
  explicit StatusLine(bool enabled) : enabled_(enabled) {}
  ~StatusLine() { clear(); }

  void update(double elapsed_seconds, uint64_t samples, size_t processes);
  // Erases the line (before another message, and at the end).
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
};

}  // namespace stprof
