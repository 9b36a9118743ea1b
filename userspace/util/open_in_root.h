// Opening a file as another process sees it, without escaping that process's root.
#pragma once

#include <string>

#include "util/result.h"
#include "util/unique_fd.h"

namespace stprof {

// Opens `path` (absolute, as written in /proc/PID/maps) read-only inside the root directory
// `root_dir` (e.g. "/proc/1234/root"). Symlinks and ".." are resolved inside that root
// (openat2 RESOLVE_IN_ROOT), so a file in a container cannot point the profiler at host files.
Result<UniqueFd> open_in_root(const std::string& root_dir, const std::string& path);

}  // namespace stprof
