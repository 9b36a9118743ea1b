// Folded stacks (render/folded.h), ours or any FlameGraph-style file (stackcollapse-*.pl, py-spy,
// inferno): one "frame;frame;...;frame COUNT" per line, root first.
//   - our process, thread and container frames at the root become the model's levels
//     (read_stack_levels); "[truncated]" / "[partial]" right under them, the stack's end;
//   - "qualname (file:line)" and "qualname (file)" frames become locations with that file and
//     line; any other frame ("main", "[off-CPU: read]", perf's "do_syscall_64_[k]") a location
//     with that name alone;
//   - an empty frame is a function with an empty name, a line with nothing before its count a
//     stack without frames (render/folded.h writes both for such a model);
//   - blank lines are skipped, and so are lines whose count is 0.
// A folded file does not say what its numbers count: they are read as samples at an unknown
// rate (frequency 0), also from a wall-mode file, whose numbers are microseconds.
#pragma once

#include <string_view>

#include "collate/profile.h"
#include "util/result.h"

namespace stprof {

// An error names the line ("line 12: ...").
Result<Profile> read_folded(std::string_view text);

}  // namespace stprof
