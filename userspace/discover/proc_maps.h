// /proc/PID/maps: which files a process maps, where.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stprof {

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  bool executable = false;
  uint64_t inode = 0;
  std::string path;  // as the process sees it (its own mount namespace); empty if anonymous
};

// Parses the text of /proc/PID/maps; malformed lines are skipped.
std::vector<Mapping> parse_maps(std::string_view text);

// The mapped file itself: `process_dir`/map_files/START-END (no path walk, so chroots and other
// mount namespaces need no care; root only).
std::string map_files_path(const std::string& process_dir, const Mapping& mapping);

}  // namespace stprof
