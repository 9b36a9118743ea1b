// The grouping knobs, as a transformation of a Profile into another Profile that every renderer
// reads unchanged (--merged, --no-thread, --no-lineno, --full-filenames).
#pragma once

#include <string>

#include "collate/profile.h"

namespace stprof {

struct ViewOptions {
  bool per_process = true;      // false: every process merged into one (pid 0, no process frame)
  bool per_thread = true;       // false: each process's threads merged into one (tid 0, no frame)
  bool line_numbers = true;     // false: lines dropped, so a function's frames merge
  bool full_filenames = false;  // false: library paths shortened (short_filename)
  bool container_frame = false; // a "container:ID" frame above processes in containers
};

// The same samples grouped as asked: stacks that become identical are merged (their on-CPU
// counts and off-CPU nanoseconds added), so the totals and the mode are unchanged. A
// merged-away level keeps one entry with id 0 (see render/frames.h).
Profile make_view(const Profile& profile, const ViewOptions& options);

// A module path as people name it: what follows the last site-packages/ or dist-packages/
// ("/usr/lib/python3/dist-packages/requests/api.py" -> "requests/api.py"), else what follows
// the standard library directory lib/pythonX.Y/ ("/usr/lib/python3.11/json/__init__.py" ->
// "json/__init__.py"); any other path (the program's own files, "<frozen ...>", "<string>") as
// the interpreter reported it.
std::string short_filename(const std::string& path);

}  // namespace stprof
