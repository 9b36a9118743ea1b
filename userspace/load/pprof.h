// pprof's profile.proto (what render/pprof.h writes, and Go, Pyroscope, perf_to_profile...),
// the message itself: a gzipped file is gunzipped first (load/saved_file.h).
//   - values: with a samples/count type (ours in CPU mode, Go's CPU profiles), CPU mode and those
//     counts; ours in wall mode (wall/nanoseconds and cpu/nanoseconds), wall mode: the cpu value
//     is count x period, the rest of the wall value is off-CPU time; any other profile, the
//     default sample type's values (else the last type's, as pprof does), read as counts;
//   - frequency: 1e9 / period when the period is cpu or wall nanoseconds; the duration;
//   - a location's lines are frames (the last one the caller: pprof's inlined frames); a location
//     without lines is named by its address ("0x4a3f"); a function's name and file name, the
//     line's number;
//   - labels "pid" (and "comm") make the process level, "tid" (and "thread_name") the thread
//     level; without them the level is not there;
//   - a "[truncated]" or "[partial]" function at the root end: the stack's end.
#pragma once

#include <string_view>

#include "collate/profile.h"
#include "util/result.h"

namespace stprof {

// An error names the byte where the message stops decoding ("byte 1234: ...") or the item that
// does not make sense ("sample 12: location 99 is not in the profile").
Result<Profile> read_pprof(std::string_view message);

}  // namespace stprof
