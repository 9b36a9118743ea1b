// speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json): one
// "sampled" profile per thread the profile shows (per process with --no-thread, one with
// --merged --no-thread), frames shared (name, file, line; an off-CPU leaf has no file), weights
// in samples (unit "none") or, in wall mode, in nanoseconds of wall time (unit "nanoseconds"),
// stacks in folded order. The heaviest profile is the one speedscope opens first.
#pragma once

#include <ostream>
#include <string>

#include "collate/profile.h"

namespace stprof {

struct SpeedscopeOptions {
  std::string name = "stprof-bpf profile";
  std::string exporter = "stprof-bpf";
};

void render_speedscope(const Profile& profile, const SpeedscopeOptions& options, std::ostream& out);

}  // namespace stprof
