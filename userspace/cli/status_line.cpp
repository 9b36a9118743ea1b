#include "cli/status_line.h"

#include <cstdio>

namespace stprof {

void StatusLine::update(double elapsed_seconds, uint64_t samples, size_t processes) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[Kstprof-bpf: %.0f s, %llu samples, %zu process(es)", elapsed_seconds,
               static_cast<unsigned long long>(samples), processes);
  std::fflush(stderr);
  shown_ = true;
}

void StatusLine::clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace stprof
