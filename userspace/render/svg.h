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

namespace stprof {

struct SvgOptions {
  std::string title = "stprof-bpf flame graph";
  int width = 1200;  // pixels; frames narrower than 0.1 px are left out
};

void render_svg(const Profile& profile, const SvgOptions& options, std::ostream& out);

}  // namespace stprof
