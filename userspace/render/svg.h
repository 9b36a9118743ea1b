// A self-contained interactive flame graph (SVG with a small embedded script, no external
// resources), in the spirit of FlameGraph's flamegraph.pl: the root at the bottom, a frame's
// width is its share of samples (of wall time in wall mode), siblings in name order. In a
// browser: hover shows the name, samples (or time) and share; click zooms into a frame
// (ancestors stay, faded); the search box highlights frames whose name contains the text and
// shows their share; Reset zoom / Escape.
#pragma once

#include <ostream>
#include <string>

#include "collate/profile.h"
#include "render/diff_view.h"

namespace stprof {

struct SvgOptions {
  std::string title = "stprof-bpf flame graph";
  int width = 1200;  // pixels; frames narrower than 0.1 px are left out
};

void render_svg(const Profile& profile, const SvgOptions& options, std::ostream& out);

// The differential flame graph of `stprof-bpf diff`, as flamegraph.pl draws difffolded.pl's
// output: frames as wide as in AFTER; red when a frame's share (its value, with --absolute)
// grew from BEFORE, blue when it shrank, saturated in proportion to the change (the largest
// change of the graph the most), grey when unchanged; the title of each frame (hover) gives
// AFTER's and BEFORE's values and shares and the change. The functions sampled in BEFORE only
// have no width, so a note below the graph lists them. Hover, zoom and search as above.
void render_diff_svg(const ProfileDiff& diff, const SvgOptions& options, std::ostream& out);

}  // namespace stprof
