#include "agent/interval_clock.h"

#include <algorithm>

namespace stprof {
namespace {

// The first multiple of `interval` after `time` (floor division: times before 1970 too).
int64_t boundary_after(int64_t time, int64_t interval) {
  int64_t quotient = time / interval - (time % interval < 0 ? 1 : 0);
  return (quotient + 1) * interval;
}

}  // namespace

IntervalClock::IntervalClock(int64_t start, int64_t interval_seconds)
    : interval_(std::max<int64_t>(interval_seconds, 1)),
      from_(start),
      next_boundary_(boundary_after(start, interval_)) {}

Window IntervalClock::cut(int64_t now) {
  int64_t until = std::max(next_boundary_, boundary_after(now, interval_) - interval_);
  Window window{from_, until};
  from_ = until;
  next_boundary_ = until + interval_;
  return window;
}

Window IntervalClock::cut_last(int64_t now) {
  Window window{from_, std::max(now, from_ + 1)};
  from_ = window.until;
  next_boundary_ = boundary_after(from_, interval_);
  return window;
}

}  // namespace stprof
