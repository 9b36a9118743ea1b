// speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json; what
// render/speedscope.h writes, and py-spy, rbspy, Austin...): "sampled" profiles, their stacks
// indices into shared.frames (name, file, line), one weight each.
//   - a profile named as ours ("comm (pid): thread (tid)", "comm (pid)", "all processes") gives
//     the stacks their process and thread levels (read_stack_levels); any other name, none;
//   - a "[truncated]" or "[partial]" frame at the root: the stack's end;
//   - unit "none" (or "bytes"): weights are counts (CPU mode, frequency unknown);
//     "nanoseconds" ... "seconds": weights are times, read as wall time (wall mode; the file does
//     not say how much of it was on the CPU, so all of it counts as one time, Sample::off_cpu_ns,
//     with frequency 0).
// Every profile of a file must have the same kind of unit. "evented" profiles are not read.
#pragma once

#include <string_view>

#include "collate/profile.h"
#include "util/result.h"

namespace stprof {

// An error names the byte where the JSON breaks ("byte 120: ...") or the field that does not
// make sense ("profiles[1].samples[4][2]: frame 90 is not in shared.frames (12 frames)").
Result<Profile> read_speedscope(std::string_view text);

}  // namespace stprof
