// Command line -> Config. Parsing only: no I/O besides CLI11's own help/version/errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace stprof {

struct Config {
  std::vector<int> pids;        // empty: every Python process (--all-python)
  double duration_seconds = 0;  // 0: until Ctrl-C / SIGTERM
  int frequency_hz = 99;
  std::string output = "-";     // "-": stdout
  bool process_frame = true;
  bool thread_frame = true;
  int verbose = 0;  // -v: counters and libbpf warnings; -vv: also libbpf's debug log
};

// Parses argv. nullopt with `exit_code` set when the program should exit right away (help,
// version: 0; bad arguments: 2, after CLI11 printed why).
std::optional<Config> parse_command_line(int argc, char** argv, int& exit_code);

}  // namespace stprof
