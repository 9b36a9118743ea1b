#include "cli/config.h"

#include <CLI/CLI.hpp>
#include <limits>

#include "version.h"

namespace stprof {

std::optional<Config> parse_command_line(int argc, char** argv, int& exit_code) {
  Config config;
  CLI::App app{"stprof-bpf: sampling profiler for every Python process on the host, built on eBPF",
               "stprof-bpf"};
  app.set_version_flag("--version", std::string("stprof-bpf ") + kStprofVersion);
  bool all_python = false;
  auto* all = app.add_flag("--all-python", all_python,
                           "Profile every Python process, including ones started later (default)");
  app.add_option("-p,--pid", config.pids, "Profile this process (repeatable)")
      ->type_name("PID")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""))
      ->excludes(all);
  app.add_option("-d,--duration", config.duration_seconds,
                 "Seconds to record (default: until Ctrl-C or SIGTERM)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 1e9).description(""));
  app.add_option("-F,--frequency", config.frequency_hz, "Samples per second per CPU")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("-o,--output", config.output, "Write the folded profile here ('-': stdout)")
      ->capture_default_str();
  bool no_process = false, no_thread = false;
  app.add_flag("--no-process", no_process, "Leave out the 'comm (pid)' root frame");
  app.add_flag("--no-thread", no_thread, "Leave out the 'thread (tid)' frame");
  app.add_flag("-v,--verbose", config.verbose,
               "Print the sampler's counters and libbpf's warnings to stderr; -vv adds libbpf's "
               "debug log");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int cli_code = app.exit(error);  // prints help, version, or what is wrong
    exit_code = cli_code == 0 ? 0 : 2;
    return std::nullopt;
  }
  config.process_frame = !no_process;
  config.thread_frame = !no_thread;
  return config;
}

}  // namespace stprof
