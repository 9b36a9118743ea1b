// Command line -> Config. Parsing only: no I/O besides CLI11's own help/version/errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "render/format.h"
#include "render/profile_view.h"

namespace stprof {

struct Output {
  std::string path;  // "-": stdout
  Format format = Format::kFolded;
};

// What the command line asks for.
enum class Command {
  kRecord,   // the default: record a profile (or the live view)
  kConvert,  // `convert IN... -o OUT...` (also `merge`): saved profiles, merged, in other formats
  kDiff,     // `diff BEFORE AFTER -o OUT`: the difference of two saved profiles
  kDump,     // `dump -p PID`: every thread's Python stack now
  kAgent,    // `agent`: records for as long as it runs, a profile per service every interval
};

// `stprof-bpf agent`: where its profiles go and how they are cut.
struct AgentConfig {
  AgentOptions options;  // interval, services, labels, grouping (host filled in by main)
  std::string pyroscope_url;          // --pyroscope; "" for none
  std::string pyroscope_tenant;       // --pyroscope-tenant
  std::string pyroscope_basic_auth_file;
  std::string pyroscope_token_file;
  int64_t pyroscope_timeout_seconds = 10;
  std::string output_dir;             // --output-dir; "" for none
  int64_t retain_seconds = 0;         // --retain; 0: keep every file
  uint64_t retain_bytes = 0;          // --retain-size; 0: no limit
  uint64_t spool_memory_bytes = 64ull << 20;
  std::string spool_dir;              // "" keeps the spool in memory only
  uint64_t spool_disk_bytes = 1ull << 30;
  int64_t retry_max_seconds = 30;     // the longest backoff
  int64_t flush_seconds = 10;         // at the end, how long the sinks may take to deliver
  std::string log_file;               // --log-file: stderr goes there, reopened on SIGHUP
};

struct Config {
  Command command = Command::kRecord;
  // convert: the saved profiles to read ("-": stdin); diff: BEFORE and AFTER.
  std::vector<std::string> inputs;
  bool absolute = false;  // diff --absolute: raw values compared, not shares
  // Which processes (see record/target_filter.h); with none of these: every Python process.
  std::vector<int> pids;                   // -p
  std::vector<int> pid_trees;              // --pid-tree
  std::vector<std::string> comm_patterns;  // --comm (ECMAScript regex, searched)
  std::vector<std::string> exe_patterns;   // --exe
  std::vector<std::string> containers;     // --container (id prefix)
  std::vector<std::string> cgroups;        // --cgroup (cgroup v2 directory)
  double duration_seconds = 0;  // 0: until Ctrl-C / SIGTERM (live: or q)
  int frequency_hz = 99;
  // The profiler's own niceness. Below 0 by default: on a host whose CPUs are all busy a
  // profiler at nice 0 falls seconds behind registering new processes and overruns -d; its own
  // work is under 1% of a core, so the boost costs the workload next to nothing.
  int nice = -10;
  bool nice_given = false;  // --nice named: failing to apply it is worth a warning
  // --no-uprobe: no uprobe counts the code frees of 3.8-3.12 processes (their code epoch; see
  // STPROF_PROCESS_CODE_FREES), so their samples read every code object of their stacks.
  bool code_free_uprobe = true;
  ProfileMode mode = ProfileMode::kCpu;  // --mode
  bool gil_only = false;                 // --gil: only samples of threads holding the GIL
  bool kernel_stacks = false;            // --kernel: kernel frames on top of the Python frames
  // Where the profile goes, each in its format (--format, else the file's extension). Never
  // empty when recording; in the live view only what -o named explicitly.
  std::vector<Output> outputs;
  // --merged/--no-process, --no-thread, --no-lineno, --full-filenames. For diff, the process
  // and thread levels are merged unless --per-process / --per-thread (PIDs differ between runs).
  ViewOptions view;
  double min_percent = 0.5;  // tree and top formats
  bool live = false;         // `stprof-bpf top` or --live: the terminal view
  bool json = false;         // the end-of-run summary as one JSON object
  int verbose = 0;  // -v: counters and libbpf warnings; -vv: also libbpf's debug log
  AgentConfig agent;  // Command::kAgent
};

// Parses argv. nullopt with `exit_code` set when the program should exit right away (help,
// version: 0; bad arguments: 2, after CLI11 or this printed why).
std::optional<Config> parse_command_line(int argc, char** argv, int& exit_code);

}  // namespace stprof
