#include "cli/config.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <limits>
#include <regex>

#include "agent/labels.h"
#include "agent/quantity.h"
#include "version.h"

namespace stprof {

namespace {

constexpr const char* kOutputHelp =
    "Write the profile here, in the format its extension names (.svg, .json, .pb.gz, .tree, "
    ".top, else folded); repeatable; '-': stdout (default)";

// Where profiles go and how they are grouped: the flags recording and `convert` share.
struct OutputFlags {
  std::vector<std::string> paths;
  std::string format_name;
  bool per_process = false, merged = false, no_process = false;
  bool per_thread = false, no_thread = false;
  bool no_lineno = false;
};

void add_output_flags(CLI::App& app, OutputFlags& flags, const std::vector<std::string>& formats,
                      const std::string& output_help) {
  std::string names;
  for (const std::string& name : formats) names += (names.empty() ? "" : ", ") + name;
  app.add_option("-o,--output", flags.paths, output_help)
      ->type_name("FILE")
      ->allow_extra_args(false);
  app.add_option("--format", flags.format_name,
                 "Output format for every -o, whatever its extension: " + names)
      ->type_name("FORMAT")
      ->check(CLI::IsMember(formats).description(""));
}

void add_min_percent(CLI::App& app, Config& config, const std::string& help) {
  app.add_option("--min-percent", config.min_percent, help)
      ->type_name("PERCENT")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
}

constexpr const char* kMinPercentHelp =
    "tree and top formats: leave out what has less than this share of samples";

void add_grouping_flags(CLI::App& app, OutputFlags& flags, Config& config) {
  auto* per_process_flag = app.add_flag("--per-process", flags.per_process,
                                        "A 'comm (pid)' level for each process (default)");
  auto* merged_flag = app.add_flag("--merged", flags.merged,
                                   "One tree across all processes: the process level dropped");
  auto* no_process_flag = app.add_flag("--no-process", flags.no_process, "Same as --merged");
  per_process_flag->excludes(merged_flag)->excludes(no_process_flag);
  auto* per_thread_flag = app.add_flag("--per-thread", flags.per_thread,
                                       "A 'thread (tid)' level for each thread (default)");
  app.add_flag("--no-thread", flags.no_thread,
               "Threads of a process merged: the thread level dropped")
      ->excludes(per_thread_flag);
  app.add_flag("--no-lineno", flags.no_lineno,
               "Function level: line numbers dropped, frames merged");
  app.add_flag("--container-frame", config.view.container_frame,
               "A 'container:ID' frame above each process that runs in a container");
  app.add_flag("--full-filenames", config.view.full_filenames,
               "Files as the interpreter names them (default: library paths shortened, "
               "/usr/lib/python3.11/json/__init__.py -> json/__init__.py)");
}

// Config::outputs and the view from the flags; "-" (stdout) when no -o and `to_stdout`.
void finish_outputs(const OutputFlags& flags, bool to_stdout, Config& config) {
  std::vector<std::string> paths = flags.paths;
  if (paths.empty() && to_stdout) paths.push_back("-");
  for (const std::string& path : paths) {
    Format format = flags.format_name.empty() ? format_for_path(path) : *parse_format(flags.format_name);
    config.outputs.push_back({path, format});
  }
  config.view.per_process = !(flags.merged || flags.no_process);
  config.view.per_thread = !flags.no_thread;
  config.view.line_numbers = !flags.no_lineno;
}

// `convert` (alias `merge`): saved profiles in, any output format out.
CLI::App* add_convert_command(CLI::App& app, Config& config, OutputFlags& flags) {
  auto* convert = app.add_subcommand(
      "convert", "Read saved profiles (folded, pprof, speedscope; several are merged) and write "
                 "them in the formats -o names. Needs no root.");
  convert->alias("merge");
  convert->add_option("inputs", config.inputs,
                      "Saved profiles: folded (ours or FlameGraph-style), pprof (gzipped or not), "
                      "speedscope JSON; '-': stdin")
      ->type_name("FILE")
      ->required();
  add_output_flags(*convert, flags, format_names(), kOutputHelp);
  add_min_percent(*convert, config, kMinPercentHelp);
  add_grouping_flags(*convert, flags, config);
  return convert;
}

// `diff BEFORE AFTER`: a differential profile in folded, svg or top.
CLI::App* add_diff_command(CLI::App& app, Config& config, OutputFlags& flags,
                           std::string& before, std::string& after) {
  auto* diff = app.add_subcommand(
      "diff", "Compare two saved profiles: a differential flame graph (.svg), difffolded.pl's "
              "'stack before after' (.folded) or the largest changes (.top). Needs no root.");
  diff->add_option("before", before, "The profile to compare against")
      ->type_name("BEFORE")
      ->required();
  diff->add_option("after", after, "The profile whose shape the graph shows")
      ->type_name("AFTER")
      ->required();
  add_output_flags(*diff, flags, {"folded", "svg", "top"},
                   "Write the difference here, in the format its extension names (.svg, .top, "
                   "else folded); repeatable; '-': stdout (default)");
  add_min_percent(*diff, config,
                  "top format: leave out locations whose self share changed by less than this "
                  "(percentage points)");
  diff->add_flag("--absolute", config.absolute,
                 "Compare raw values (samples, times), not shares of each profile's total");
  diff->add_flag("--per-process", flags.per_process,
                 "Keep the process level (default: merged, since PIDs differ between runs)");
  diff->add_flag("--per-thread", flags.per_thread,
                 "Keep the thread level (default: merged, since TIDs differ between runs)");
  diff->add_flag("--no-lineno", flags.no_lineno,
                 "Function level: line numbers dropped, frames merged");
  diff->add_flag("--full-filenames", config.view.full_filenames,
                 "Files as the interpreter names them (default: library paths shortened)");
  return diff;
}

// The agent's own flags, as given (durations and sizes are converted after parsing).
struct AgentFlags {
  std::string interval = "15s";
  std::string service_by = "auto";
  std::vector<std::string> labels;
  std::string timeout = "10s";
  std::string retain, retain_size;
  std::string spool_memory = "64M", spool_size = "1G";
  std::string retry_max = "30s", flush = "10s";
};

// `agent`: records until stopped, cutting a profile per service every interval for its sinks.
// The recording flags (selection, -F, --mode, --gil, -d, -o for the whole run) fall through.
CLI::App* add_agent_command(CLI::App& app, Config& config, AgentFlags& flags) {
  AgentConfig& agent = config.agent;
  auto* command = app.add_subcommand(
      "agent", "Record continuously and send a profile per service every --interval to "
               "Pyroscope (--pyroscope) and/or a directory (--output-dir). Takes the recording "
               "options too (stprof-bpf --help).");
  command->fallthrough();
  command->add_option("--interval", flags.interval, "How long each profile covers (15s, 1m, ...)")
      ->type_name("DURATION")
      ->capture_default_str();
  command->add_option("--service-by", flags.service_by,
                      "What makes a service: auto (the container, else the systemd service, else "
                      "comm), container, cgroup, comm or exe")
      ->check(CLI::IsMember({"auto", "container", "cgroup", "comm", "exe"}).description(""))
      ->type_name("KIND")
      ->capture_default_str();
  command->add_flag("--per-process", agent.options.per_process,
                    "A profile per process (labelled pid) rather than per service");
  command->add_option("--label", flags.labels,
                      "A label on every profile, key=value (repeatable; overrides the agent's own)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  command->add_option("--pyroscope", agent.pyroscope_url,
                      "Push each profile to this Pyroscope server's ingest API (http[s]://HOST:PORT)")
      ->type_name("URL");
  command->add_option("--pyroscope-tenant", agent.pyroscope_tenant,
                      "Pyroscope tenant (the X-Scope-OrgID header)")
      ->type_name("ID");
  command->add_option("--pyroscope-basic-auth-file", agent.pyroscope_basic_auth_file,
                      "HTTP basic auth for Pyroscope: a file whose first line is user:password")
      ->type_name("FILE");
  command->add_option("--pyroscope-token-file", agent.pyroscope_token_file,
                      "A bearer token for Pyroscope: a file whose first line is the token")
      ->type_name("FILE");
  command->add_option("--pyroscope-timeout", flags.timeout, "The longest a push may take")
      ->type_name("DURATION")
      ->capture_default_str();
  command->add_option("--output-dir", agent.output_dir,
                      "Write each profile there as START-SERVICE.pb.gz (gzipped pprof)")
      ->type_name("DIR");
  command->add_option("--retain", flags.retain,
                      "--output-dir: remove files whose interval began longer ago than this")
      ->type_name("DURATION");
  command->add_option("--retain-size", flags.retain_size,
                      "--output-dir: remove the oldest files while they add up to more (64M, 1G)")
      ->type_name("SIZE");
  command->add_option("--spool-memory", flags.spool_memory,
                      "Profiles a slow or failing backend has not taken yet, held in memory up to "
                      "this per sink")
      ->type_name("SIZE")
      ->capture_default_str();
  command->add_option("--spool-dir", agent.spool_dir,
                      "Then on disk here (kept across restarts), up to --spool-size")
      ->type_name("DIR");
  command->add_option("--spool-size", flags.spool_size, "The most --spool-dir holds")
      ->type_name("SIZE")
      ->capture_default_str();
  command->add_option("--retry-max", flags.retry_max, "The longest wait between two tries of a backend")
      ->type_name("DURATION")
      ->capture_default_str();
  command->add_option("--flush-timeout", flags.flush,
                      "At the end, how long the backends may take to accept what is queued")
      ->type_name("DURATION")
      ->capture_default_str();
  command->add_option("--log-file", agent.log_file,
                      "Append stderr (warnings, errors, the summary) to this file; SIGHUP reopens it")
      ->type_name("FILE");
  return command;
}

// The agent's flags converted and checked; an error message for a usage error.
std::optional<std::string> finish_agent(const AgentFlags& flags, Config& config) {
  AgentConfig& agent = config.agent;
  auto duration = [](const std::string& flag, const std::string& text, int64_t& seconds) -> std::optional<std::string> {
    Result<int64_t> parsed = parse_duration_seconds(text);
    if (!parsed) return flag + ": " + parsed.error().message;
    seconds = *parsed;
    return std::nullopt;
  };
  auto size = [](const std::string& flag, const std::string& text, uint64_t& bytes) -> std::optional<std::string> {
    Result<uint64_t> parsed = parse_size_bytes(text);
    if (!parsed) return flag + ": " + parsed.error().message;
    bytes = *parsed;
    return std::nullopt;
  };
  std::optional<std::string> problem;
  if ((problem = duration("--interval", flags.interval, agent.options.interval_seconds))) return problem;
  if ((problem = duration("--pyroscope-timeout", flags.timeout, agent.pyroscope_timeout_seconds))) return problem;
  if (!flags.retain.empty() && (problem = duration("--retain", flags.retain, agent.retain_seconds))) return problem;
  if (!flags.retain_size.empty() && (problem = size("--retain-size", flags.retain_size, agent.retain_bytes))) return problem;
  if ((problem = size("--spool-memory", flags.spool_memory, agent.spool_memory_bytes))) return problem;
  if ((problem = size("--spool-size", flags.spool_size, agent.spool_disk_bytes))) return problem;
  if ((problem = duration("--retry-max", flags.retry_max, agent.retry_max_seconds))) return problem;
  if ((problem = duration("--flush-timeout", flags.flush, agent.flush_seconds))) return problem;
  agent.options.service_by = *parse_service_by(flags.service_by);
  for (const std::string& text : flags.labels) {
    Result<std::pair<std::string, std::string>> label = parse_label(text);
    if (!label) return label.error().message;
    agent.options.extra_labels[label->first] = label->second;
  }
  if (agent.pyroscope_url.empty() && agent.output_dir.empty()) {
    return std::string("agent: nowhere to send profiles: give --pyroscope URL and/or --output-dir DIR");
  }
  if ((!flags.retain.empty() || !flags.retain_size.empty()) && agent.output_dir.empty()) {
    return std::string("--retain and --retain-size apply to --output-dir, which is not given");
  }
  bool pyroscope_flags = !agent.pyroscope_tenant.empty() || !agent.pyroscope_basic_auth_file.empty() ||
                         !agent.pyroscope_token_file.empty();
  if (pyroscope_flags && agent.pyroscope_url.empty()) {
    return std::string("--pyroscope-tenant and the credential files apply to --pyroscope, which is not given");
  }
  if (config.live) return std::string("agent: the live view is for a terminal; run `stprof-bpf top` instead");
  return std::nullopt;
}

}  // namespace

std::optional<Config> parse_command_line(int argc, char** argv, int& exit_code) {
  Config config;
  CLI::App app{"stprof-bpf: sampling profiler for every Python process on the host, built on eBPF",
               "stprof-bpf"};
  app.set_version_flag("--version", std::string("stprof-bpf ") + kStprofVersion);
  bool all_python = false;
  auto* all = app.add_flag("--all-python", all_python,
                           "Profile every Python process, including ones started later (default; "
                           "--comm, --exe, --container and --cgroup narrow it)");
  app.add_option("-p,--pid", config.pids, "Profile this process (repeatable)")
      ->type_name("PID")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""))
      ->excludes(all);
  app.add_option("--pid-tree", config.pid_trees,
                 "Profile this process and all its descendants, including ones started later "
                 "(repeatable)")
      ->type_name("PID")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""))
      ->excludes(all);
  CLI::Validator regex_check(
      [](std::string& pattern) {
        try {
          std::regex compiled(pattern);
        } catch (const std::regex_error& error) {
          return "not a regular expression (" + std::string(error.what()) + ")";
        }
        return std::string();
      },
      "REGEX");
  app.add_option("--comm", config.comm_patterns,
                 "Profile Python processes whose name (comm) matches (repeatable)")
      ->type_name("REGEX")
      ->check(regex_check);
  app.add_option("--exe", config.exe_patterns,
                 "Profile Python processes whose executable path matches (repeatable)")
      ->type_name("REGEX")
      ->check(regex_check);
  app.add_option("--container", config.containers,
                 "Profile Python processes in the container whose id starts with this (Docker, "
                 "containerd, CRI-O, podman, Kubernetes; repeatable)")
      ->type_name("ID");
  app.add_option("--cgroup", config.cgroups,
                 "Profile Python processes in this cgroup v2 directory or below (repeatable)")
      ->type_name("PATH");
  app.add_option("-d,--duration", config.duration_seconds,
                 "Seconds to record (default: until Ctrl-C or SIGTERM)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 1e9).description(""));
  app.add_option("-F,--frequency", config.frequency_hz, "Samples per second per CPU")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  auto* nice = app.add_option("--nice", config.nice,
                              "The profiler's own scheduling niceness, so that busy CPUs do not "
                              "delay it (below 0 needs CAP_SYS_NICE)")
                   ->check(CLI::Range(-20, 19))
                   ->capture_default_str();

  std::string mode = "cpu";
  app.add_option("--mode", mode,
                 "cpu: where the threads run on the CPU (perf samples); wall: where their whole "
                 "time goes, off-CPU time measured and ended by an [off-CPU: REASON] frame")
      ->check(CLI::IsMember({"cpu", "wall"}).description(""))
      ->type_name("cpu|wall")
      ->capture_default_str();
  app.add_flag("--gil", config.gil_only,
               "Only what threads do while they hold the GIL (in wall mode, their off-CPU time "
               "too when they block holding it)");

  app.add_flag("--kernel", config.kernel_stacks,
               "Kernel frames on top of the Python frames, each named [k] FUNCTION: the system "
               "call or fault a thread is in when sampled (in wall mode, under the [off-CPU: "
               "REASON] frame, where it blocked)");

  bool no_uprobe = false;
  app.add_flag("--no-uprobe", no_uprobe,
               "Put no uprobe in 3.8-3.12 processes (it costs each of them about 0.5 us per code "
               "object freed); their samples then read every code object of the stack");

  OutputFlags outputs;
  add_output_flags(app, outputs, format_names(), kOutputHelp);
  add_min_percent(app, config, kMinPercentHelp);
  add_grouping_flags(app, outputs, config);
  app.add_flag("--live", config.live,
               "Show the hottest functions live instead (as `stprof-bpf top`)");
  app.add_flag("--json", config.json,
               "End-of-run summary as one JSON object: on stdout, or on stderr when the profile "
               "goes to stdout");
  app.add_flag("-v,--verbose", config.verbose,
               "Print the sampler's counters and libbpf's warnings to stderr; -vv adds libbpf's "
               "debug log");
  app.add_subcommand("record",
                     "Record a profile: what stprof-bpf does without a command (as perf record "
                     "and py-spy record). Takes the options above.")
      ->fallthrough();
  auto* top = app.add_subcommand(
      "top", "Live view in the terminal: the hottest functions of every profiled process, "
             "refreshed every second; q quits. Takes the options above.");
  top->fallthrough();
  OutputFlags convert_flags, diff_flags;
  std::string before, after;
  CLI::App* convert = add_convert_command(app, config, convert_flags);
  CLI::App* diff = add_diff_command(app, config, diff_flags, before, after);
  int dump_pid = 0;
  CLI::App* dump = app.add_subcommand(
      "dump", "Print the Python stack of every thread of a process now, and what each thread is "
              "doing (running, waiting for the GIL, in a system call); the process is not stopped");
  dump->add_option("-p,--pid", dump_pid, "The process")
      ->required()
      ->type_name("PID")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()).description(""));
  dump->add_flag("--json", config.json, "One JSON object: pid, comm, python, threads");
  AgentFlags agent_flags;
  CLI::App* agent = add_agent_command(app, config, agent_flags);
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int cli_code = app.exit(error);  // prints help, version, or what is wrong
    exit_code = cli_code == 0 ? 0 : 2;
    return std::nullopt;
  }
  auto usage_error = [&](const std::string& message) {
    std::cerr << message << "\nRun with --help for more information.\n";
    exit_code = 2;
    return std::nullopt;
  };
  if (dump->parsed()) {
    for (const CLI::Option* option : app.get_options()) {
      if (option->count() > 0) {
        return usage_error(option->get_name() + ": a recording option; dump takes -p and --json");
      }
    }
    config.command = Command::kDump;
    config.pids = {dump_pid};
    return config;
  }
  if (convert->parsed() || diff->parsed()) {
    std::string subcommand = convert->parsed() ? "convert" : "diff";
    for (const CLI::Option* option : app.get_options()) {
      if (option->count() > 0) {
        return usage_error(option->get_name() + ": a recording option; " + subcommand +
                           " takes its own options, after '" + subcommand + "'");
      }
    }
    config.command = convert->parsed() ? Command::kConvert : Command::kDiff;
    if (diff->parsed()) {
      config.inputs = {before, after};
      finish_outputs(diff_flags, true, config);
      config.view.per_process = diff_flags.per_process;
      config.view.per_thread = diff_flags.per_thread;
      for (const Output& output : config.outputs) {
        if (!has_diff_mode(output.format)) {
          return usage_error("--output " + output.path + ": " + format_name(output.format) +
                             " cannot show a difference; write .svg, .folded or .top");
        }
      }
    } else {
      finish_outputs(convert_flags, true, config);
    }
  } else if (agent->parsed()) {
    config.command = Command::kAgent;
    for (const char* grouping : {"--per-process", "--merged", "--no-process", "--per-thread", "--no-thread"}) {
      if (app.get_option(grouping)->count() > 0) {
        return usage_error(std::string(grouping) + ": the agent's profiles have no process or thread "
                           "level (a pprof's labels become series in Pyroscope); `agent --per-process` "
                           "cuts a profile per process");
      }
    }
    finish_outputs(outputs, false, config);
    config.agent.options.view.line_numbers = config.view.line_numbers;
    config.agent.options.view.full_filenames = config.view.full_filenames;
    config.agent.options.view.container_frame = config.view.container_frame;
    if (std::optional<std::string> problem = finish_agent(agent_flags, config)) return usage_error(*problem);
  } else {
    config.live = config.live || top->parsed();
    finish_outputs(outputs, !config.live, config);
  }
  config.nice_given = nice->count() > 0;
  config.code_free_uprobe = !no_uprobe;
  config.mode = mode == "wall" ? ProfileMode::kWall : ProfileMode::kCpu;
  int to_stdout = 0;
  for (const Output& output : config.outputs) to_stdout += output.path == "-";
  if (to_stdout > 1) return usage_error("--output: stdout ('-') can be named only once");
  if (config.live && to_stdout) {
    return usage_error("--output: the live view uses the terminal; write the profile to a file");
  }
  return config;
}

}  // namespace stprof
