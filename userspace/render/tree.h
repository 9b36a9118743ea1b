// A top-down call tree as indented text: every node with its total % and self % of all samples
// (of all wall time in wall mode), children heaviest first, nodes under `min_percent` left out.
//   total%   self%  call tree of 23 samples (nodes under 0.5% left out)
//   total%   self%  call tree of 1.61 s of wall time (nodes under 0.5% left out)
//    65.2%    0.0%  python3.11 (1234)
//    43.5%    0.0%    MainThread (1234)
#pragma once

#include <ostream>

#include "collate/profile.h"

namespace stprof {

struct TreeOptions {
  double min_percent = 0.5;
};

void render_tree(const Profile& profile, const TreeOptions& options, std::ostream& out);

}  // namespace stprof
