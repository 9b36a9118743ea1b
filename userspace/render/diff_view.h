// Two profiles compared frame by frame (`stprof-bpf diff BEFORE AFTER`), in the manner of
// FlameGraph's difffolded.pl: the model the differential renderers read (render_diff in
// render/format.h: svg, folded, top). Both profiles are usually views (render/profile_view.h)
// grouped alike, since frames are matched by the names the renderers give them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collate/profile.h"
#include "render/call_tree.h"
#include "util/result.h"

namespace stprof {

struct DiffOptions {
  bool absolute = false;  // compare raw values, not shares of each profile's total
};

// One frame of the two call trees laid over each other (matched by name under the same parent).
struct DiffNode {
  CallNode::Kind kind = CallNode::Kind::kRoot;
  std::string name;  // as folded output names the frame
  // Profile::value summed, as CallNode::total and self, in BEFORE and in AFTER:
  uint64_t before = 0, after = 0;
  uint64_t before_self = 0, after_self = 0;
  std::vector<DiffNode> children;  // in name order
};

// A location's self value in each profile (top's rows, render/top.h).
struct DiffRow {
  std::string function;
  std::string file_line;
  uint64_t before = 0, after = 0;
};

// A function (name and file) sampled in BEFORE and nowhere in AFTER.
struct GoneFunction {
  std::string function;
  std::string file;
  uint64_t before = 0;  // samples (or time) with it on the stack, once per sample
};

struct ProfileDiff {
  ProfileMode mode = ProfileMode::kCpu;
  bool absolute = false;
  uint64_t before_all = 0, after_all = 0;  // total values
  DiffNode root;                   // "all"
  std::vector<DiffRow> rows;       // every sampled location, by size of change, then name
  std::vector<GoneFunction> gone;  // heaviest in BEFORE first, then by name

  // How (before, after) changed: AFTER's share of its total minus BEFORE's share of its total,
  // in percentage points; with `absolute`, after - before in the profiles' unit. Exactly 0
  // whenever the shares (or values) are equal.
  double change(uint64_t before, uint64_t after) const;
  // |change| as a share: the points themselves, or with `absolute` the difference as a share
  // of the larger total.
  double change_percent(uint64_t before, uint64_t after) const;
};

// An error when the profiles measure different things (a CPU-mode and a wall-mode profile).
Result<ProfileDiff> make_diff(const Profile& before, const Profile& after,
                              const DiffOptions& options);

}  // namespace stprof
