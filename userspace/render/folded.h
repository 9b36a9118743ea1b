// Folded stacks, the FlameGraph input format: one line per distinct stack, root first,
// frames joined by ';', then a space and the sample count.
//   python3.11 (1234);MainThread (1234);main (app.py:10);work (app.py:4) 42
// In wall mode the number is microseconds of wall time (on-CPU and off-CPU), and an off-CPU
// stack ends in its reason's frame:
//   python3.11 (1234);MainThread (1234);main (app.py:10);recv (socket.py:7);[off-CPU: read] 1200000
#pragma once

#include <ostream>

#include "collate/profile.h"
#include "render/diff_view.h"

namespace stprof {

struct FoldedOptions {
  bool process_frame = true;  // "comm (pid)" root frame (never for a merged level: frames.h)
  bool thread_frame = true;   // "name (tid)" frame under it
};

// Lines are sorted so the same profile always renders the same text; stacks that become
// equal once levels are dropped are merged. A line whose number would be 0 (under 0.5 us of
// wall time) is left out.
void render_folded(const Profile& profile, const FoldedOptions& options, std::ostream& out);

// The difference of two profiles in FlameGraph's difffolded.pl format, "stack BEFORE AFTER" per
// line (what `flamegraph.pl` draws a differential graph from), every stack of either profile,
// sorted; numbers as above (samples, or microseconds in wall mode). BEFORE's numbers are scaled
// to AFTER's total and rounded, as `difffolded.pl -n` does, unless the diff is --absolute.
//   <module> (app.py:12);work (app.py:4) 120 300
void render_folded_diff(const ProfileDiff& diff, std::ostream& out);

}  // namespace stprof
