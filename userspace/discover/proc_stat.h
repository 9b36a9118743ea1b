// /proc/PID/stat: the fields we need to tell processes apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stprof {

struct ProcStat {
  std::string comm;
  char state = 0;  // R, S, D, T, Z (exited, not reaped yet: no memory left to read), ...
  int ppid = 0;
  uint64_t start_time = 0;  // clock ticks after boot: (pid, start_time) names a process for good
  uint64_t vsize = 0;       // bytes of virtual memory: changes when a library is mapped
  uint64_t start_code = 0;  // where the executable's text was loaded (mm->start_code); 0: hidden
};

// Parses the text of /proc/PID/stat (comm may contain spaces and parentheses).
std::optional<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace stprof
