// Where the agent's intervals end. Boundaries are multiples of the interval since the Unix epoch
// (UTC), so that the profiles of several hosts, and of one host across restarts, line up; the
// first interval runs from the start to the first boundary. Times are whole Unix seconds, and an
// interval's end is the next one's start: no gap, no overlap.
#pragma once

#include <cstdint>

#include "sinks/interval_profile.h"

namespace stprof {

class IntervalClock {
 public:
  IntervalClock(int64_t start, int64_t interval_seconds);

  // Whether the interval open at `now` has reached its boundary.
  bool due(int64_t now) const { return now >= next_boundary_; }
  // Closes the open interval at the last boundary reached by `now` (several, when the agent was
  // held up: one window covers them), and opens the next there. Call it when due().
  Window cut(int64_t now);
  // Closes the open interval at `now` itself (the run ends): never empty, so it may end a
  // second after `now` when it began at `now`.
  Window cut_last(int64_t now);

 private:
  int64_t interval_;
  int64_t from_;
  int64_t next_boundary_;
};

}  // namespace stprof
