// stprof-bpf: the only place that turns errors into exit codes.
//   0  profile written; every requested process was profiled
//   1  error: nothing written (the message says why and what to do)
//   2  bad command line
//   3  profile written, but some requested processes could not be profiled, or a selector
//      (--comm, --exe, --container, --cgroup) matched no process (warned about)
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "bpf/sampler.h"
#include "cli/agent_run.h"
#include "cli/config.h"
#include "cli/live_top.h"
#include "cli/saved_profiles.h"
#include "cli/status_line.h"
#include "cli/summary.h"
#include "cli/thread_dump.h"
#include "discover/proc_list.h"
#include "drain/map_feed.h"
#include "record/live_processes.h"
#include "record/process_table.h"
#include "record/recorder.h"
#include "record/sampling_scope.h"
#include "record/target_filter.h"
#include "render/format.h"
#include "render/profile_view.h"
#include "util/atomic_file.h"
#include "util/privileges.h"
#include "version.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen{false};  // the agent: SIGHUP

void request_stop(int) { g_stop.store(true); }
void request_reopen(int) { g_reopen.store(true); }

std::string host_name() {
  char name[256] = {};
  return ::gethostname(name, sizeof(name) - 1) == 0 ? name : "unknown";
}

int fail(const std::string& message) {
  std::cerr << "stprof-bpf: error: " << message << "\n";
  return 1;
}

// Patterns were checked by the command-line parser, so compiling them cannot fail here.
stprof::TargetFilter target_filter(const stprof::Config& config) {
  stprof::TargetFilter filter;
  filter.pids = config.pids;
  filter.tree_roots = config.pid_trees;
  for (const std::string& pattern : config.comm_patterns) filter.comm.emplace_back(pattern);
  for (const std::string& pattern : config.exe_patterns) filter.exe.emplace_back(pattern);
  filter.containers = config.containers;
  std::string cgroup2 = stprof::find_cgroup2_mount();
  for (const std::string& path : config.cgroups) {
    filter.cgroups.push_back(stprof::normalize_cgroup_path(path, cgroup2));
  }
  return filter;
}

// The selectors on the command line, as given: "--comm x --container y".
std::string selectors_given(const stprof::Config& config) {
  std::string text;
  auto add = [&text](const char* flag, const std::vector<std::string>& values) {
    for (const std::string& value : values) {
      (((text += text.empty() ? "" : " ") += flag) += " ") += value;  // no `+`: GCC 12 -Wrestrict
    }
  };
  add("--comm", config.comm_patterns);
  add("--exe", config.exe_patterns);
  add("--container", config.containers);
  add("--cgroup", config.cgroups);
  return text;
}

// Before any thread exists: on Linux the niceness is per thread, and threads inherit it.
std::optional<std::string> set_niceness(int nice) {
  if (::setpriority(PRIO_PROCESS, 0, nice) == 0) return std::nullopt;
  std::string reason = std::strerror(errno);
  return "cannot run at nice " + std::to_string(nice) + " (" + reason +
         "): give the profiler CAP_SYS_NICE or choose --nice 0 or above";
}

// Every profiled process holds a file descriptor (its memory) and, on 3.8-3.12, another (the
// uprobe counting its code frees): the soft limit, often 1024, is raised to the hard one.
void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int usage_error(const std::string& message) {
  std::cerr << message << "\nRun with --help for more information.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  std::optional<stprof::Config> config = stprof::parse_command_line(argc, argv, exit_code);
  if (!config) return exit_code;
  for (const stprof::Output& output : config->outputs) {
    if (output.path == "-" && stprof::is_binary(output.format) && ::isatty(STDOUT_FILENO)) {
      return usage_error("--output: " + stprof::format_name(output.format) +
                         " is binary; write it to a file (-o profile.pb.gz) or a pipe");
    }
  }

  if (config->command == stprof::Command::kDump) {
    if (auto ok = stprof::check_privileges(); !ok) return fail(ok.error().message);
    if (auto ok = stprof::check_kernel_btf(); !ok) return fail(ok.error().message);
    stprof::Result<stprof::ProcessDump> dump = stprof::dump_process(config->pids.front());
    if (!dump) return fail(dump.error().message);
    if (config->json) {
      stprof::print_dump_json(*dump, std::cout);
    } else {
      stprof::print_dump(*dump, std::cout);
    }
    return 0;
  }
  bool records = config->command == stprof::Command::kRecord || config->command == stprof::Command::kAgent;
  if (!records) {  // saved profiles: no root, no BPF
    stprof::Result<void> done = config->command == stprof::Command::kDiff
                                    ? stprof::run_diff(*config)
                                    : stprof::run_convert(*config);
    return done ? 0 : fail(done.error().message);
  }

  if (auto ok = stprof::check_privileges(); !ok) return fail(ok.error().message);
  if (auto ok = stprof::check_kernel_btf(); !ok) return fail(ok.error().message);
  for (const stprof::Output& output : config->outputs) {
    if (auto ok = stprof::check_writable(output.path); !ok) return fail(ok.error().message);
  }

  std::unique_ptr<stprof::AgentRun> agent;
  if (config->command == stprof::Command::kAgent) {
    auto opened = stprof::AgentRun::open(*config, host_name());
    if (!opened) return fail(opened.error().message);
    agent = std::move(*opened);
  }

  raise_file_limit();
  std::optional<std::string> nice_problem = set_niceness(config->nice);
  if (nice_problem && config->nice_given) {
    std::cerr << "stprof-bpf: warning: " << *nice_problem << "\n";
  }

  struct sigaction action{};
  action.sa_handler = request_stop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  if (config->live) {  // the live view ends like a run, so the terminal is restored
    sigaction(SIGHUP, &action, nullptr);
    sigaction(SIGQUIT, &action, nullptr);
  }
  if (agent) {  // SIGHUP reopens the log file and the credential files
    struct sigaction reopen{};
    reopen.sa_handler = request_reopen;
    sigaction(SIGHUP, &reopen, nullptr);
  }

  stprof::RecordOptions options;
  options.filter = target_filter(*config);
  options.duration_seconds = config->duration_seconds;
  options.frequency_hz = config->frequency_hz;
  options.code_free_uprobe = config->code_free_uprobe;
  options.gil_only = config->gil_only;
  options.mode = config->mode;
  options.drain_on_wall_seconds = config->command == stprof::Command::kAgent;
  bool wall = config->mode == stprof::ProfileMode::kWall;
  auto sampler = stprof::Sampler::start(
      {config->frequency_hz, config->verbose, options.filter.watches_new_processes(),
       stprof::ProcessTable::exec_registration(options.filter), options.drain_interval, wall,
       config->gil_only, config->kernel_stacks});
  if (!sampler) return fail(sampler.error().message);
  std::optional<stprof::KernelSymbols> kernel_symbols;
  if (config->kernel_stacks) {  // after the sampler: kallsyms then names its programs
    auto loaded = stprof::KernelSymbols::load();
    if (!loaded) return fail(loaded.error().message);
    kernel_symbols = std::move(*loaded);
    options.kernel_symbols = &*kernel_symbols;
  }
  auto feed = stprof::MapFeed::open((*sampler)->maps());
  if (!feed) return fail(feed.error().message);

  // Not for the agent: its sender threads write to stderr too.
  stprof::StatusLine status(!config->live && !agent && ::isatty(STDERR_FILENO) == 1);
  auto warn = [&status](const std::string& message) {
    status.clear();
    std::cerr << "stprof-bpf: warning: " << message << "\n";
  };
  stprof::LiveProcesses system;
  if (auto scope = stprof::choose_sampling_scope(**sampler, system, options.filter, config->mode, warn);
      !scope) {
    return fail(scope.error().message);
  }

  stprof::Recorder recorder(options, **sampler, **feed, system, warn);
  if (auto found = recorder.discover(); !found) return fail(found.error().message);
  std::cerr << "stprof-bpf: sampling "
            << (options.filter.watches_new_processes()
                    ? std::string(options.filter.has_selectors() ? "the selected Python processes"
                                                                 : "every Python process")
                    : std::to_string(recorder.python_processes()) + " process(es)")
            << " at " << config->frequency_hz << " Hz"
            << (wall ? ", with their time off the CPU" : "")
            << (config->duration_seconds > 0 ? ""
                : config->live               ? "; q or Ctrl-C to stop"
                                             : "; Ctrl-C to stop")
            << std::endl;

  std::unique_ptr<stprof::LiveTop> live;
  if (config->live) {
    live = std::make_unique<stprof::LiveTop>(config->view, g_stop);
    live->start();
  }
  auto started = std::chrono::steady_clock::now();
  if (agent) agent->start(static_cast<int64_t>(::time(nullptr)));
  recorder.run(g_stop, [&] {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    size_t processes = recorder.python_processes();
    if (agent) {
      agent->after_drain(recorder, g_reopen);
    } else if (live) {
      live->refresh(recorder.profile(), {elapsed.count(), processes, config->frequency_hz});
    } else {
      status.update(elapsed.count(), recorder.profile().total_samples(), processes);
    }
  });
  if (live) live->finish();
  status.clear();
  stprof::RecordSummary summary = recorder.summary();
  std::chrono::duration<double> run_seconds = std::chrono::steady_clock::now() - started;
  if (agent) agent->finish(recorder);
  const stprof::Profile& whole = agent && agent->total() ? *agent->total() : recorder.profile();
  stprof::RunTotals totals = agent ? agent->totals(run_seconds.count(), config->frequency_hz,
                                                   recorder.profile().sample_period_ns())
                                   : stprof::totals_of(recorder.profile());

  // The agent's -o keeps the process and thread levels: the whole run, per process.
  stprof::Profile view = stprof::make_view(whole, config->view);
  stprof::RenderOptions render_options;
  render_options.min_percent = config->min_percent;
  render_options.exporter = std::string("stprof-bpf ") + stprof::kStprofVersion;
  bool to_stdout = false;
  for (const stprof::Output& output : config->outputs) {
    stprof::Result<std::string> content = stprof::render(view, output.format, render_options);
    if (!content) return fail("cannot write " + output.path + ": " + content.error().message);
    if (auto written = stprof::write_file_atomically(output.path, *content); !written) {
      return fail(written.error().message);
    }
    to_stdout = to_stdout || output.path == "-";
  }
  if (summary.selectors_matched_nothing) {
    std::cerr << "stprof-bpf: warning: no Python process matched " << selectors_given(*config)
              << " during the run; check the value against ps -eo pid,comm,exe,cgroup\n";
  }
  exit_code = summary.targets_failed || summary.selectors_matched_nothing ? 3 : 0;
  if (config->json) {
    stprof::print_summary_json(totals, summary, config->outputs, exit_code,
                               to_stdout ? std::cerr : std::cout,
                               agent ? agent->json() : nlohmann::ordered_json::object());
  } else {
    stprof::print_summary(totals, summary, config->verbose > 0, std::cerr);
    if (agent) {
      for (const std::string& line : agent->report()) std::cerr << "stprof-bpf: " << line << "\n";
    }
    if (summary.targets_exited) std::cerr << "stprof-bpf: every profiled process exited\n";
  }
  return exit_code;
}
